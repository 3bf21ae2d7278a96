import { describe, expect, it } from 'vitest'
import { CacheError, createCache, memoryStore } from '../../../src/index.js'
import { sqliteStore } from '../../../src/sqlite.js'

class Money {
  constructor(
    public amount: number,
    public currency: string,
  ) {}
  format(): string {
    return `${this.amount} ${this.currency}`
  }
}

/** A cache over memory and a byte tier, and a second "process" reading the byte tier through its own memory tier. */
function twoProcesses(values?: 'shared' | 'clone' | 'freeze') {
  const bytes = sqliteStore({ path: ':memory:' })
  const writer = createCache({ tiers: [memoryStore({ values }), bytes] })
  const reader = createCache({ tiers: [memoryStore({ values }), bytes] })
  return { writer, reader }
}

describe('memory tier values: one documented choice across tiers (issue 19, finding 8)', () => {
  it("'shared' (the default) hands out the stored reference, as documented", async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    await cache.set('cart', { items: ['a'] })
    const first = await cache.get<{ items: string[] }>('cart')
    first!.items.push('mutated')
    expect(await cache.get('cart')).toEqual({ items: ['a', 'mutated'] })
  })

  it("'clone': a reader's mutation is not seen by the next reader, nor the writer's after set", async () => {
    const cache = createCache({ tiers: [memoryStore({ values: 'clone' })] })
    const written = { items: ['a'], at: new Date(5), tags: new Set(['x']), bytes: Buffer.from('hi') }
    await cache.set('cart', written)
    written.items.push('by writer')
    const first = await cache.get<typeof written>('cart')
    first!.items.push('by reader')
    const second = await cache.get<typeof written>('cart')
    expect(second!.items).toEqual(['a'])
    expect(second!.at).toEqual(new Date(5))
    expect(second!.tags).toEqual(new Set(['x']))
    expect(Buffer.isBuffer(second!.bytes)).toBe(true)
    expect(cache.getSync<typeof written>('cart')!.items).toEqual(['a'])
  })

  it("'clone': a class instance comes back the same from memory as from a byte tier (a plain object)", async () => {
    const { writer, reader } = twoProcesses('clone')
    await writer.set('price', new Money(5, 'EUR'))
    const fromMemory = await writer.get<Money>('price')
    const fromBytes = await reader.get<Money>('price')
    expect(fromMemory).toEqual({ amount: 5, currency: 'EUR' })
    expect(fromBytes).toEqual({ amount: 5, currency: 'EUR' })
    expect(Object.getPrototypeOf(fromMemory)).toBe(Object.prototype)
    expect(Object.getPrototypeOf(fromBytes)).toBe(Object.prototype)
    // getOrSet's own answer on a miss is shaped the same way the next hit is.
    const loaded = await writer.getOrSet('loaded', () => new Money(1, 'USD'))
    expect(Object.getPrototypeOf(loaded)).toBe(Money.prototype) // the loader's own value, returned as is
    expect(Object.getPrototypeOf(await writer.get('loaded'))).toBe(Object.prototype)
  })

  it("'shared' keeps the instance in the writing process only; byte tiers return plain data (documented)", async () => {
    const { writer, reader } = twoProcesses()
    await writer.set('price', new Money(5, 'EUR'))
    expect(await writer.get('price')).toBeInstanceOf(Money)
    expect(await reader.get('price')).not.toBeInstanceOf(Money)
  })

  it("'clone' refuses what a byte tier could not store either", async () => {
    const cache = createCache({ tiers: [memoryStore({ values: 'clone' })], strict: true })
    await expect(cache.set('f', { fn: () => 1 })).rejects.toThrow(CacheError)
  })

  it("'freeze': a mutation of a cached value throws, nested values included", async () => {
    const cache = createCache({ tiers: [memoryStore({ values: 'freeze' })] })
    await cache.set('cart', { items: ['a'], owner: { name: 'ada' }, raw: new Uint8Array(4) })
    const cart = await cache.get<{ items: string[]; owner: { name: string }; raw: Uint8Array }>('cart')
    expect(() => cart!.items.push('b')).toThrow(TypeError)
    expect(() => {
      cart!.owner.name = 'eve'
    }).toThrow(TypeError)
    expect(await cache.get('cart')).toEqual({ items: ['a'], owner: { name: 'ada' }, raw: new Uint8Array(4) })
  })

  it('refuses an unknown mode', () => {
    expect(() => memoryStore({ values: 'copy' as never })).toThrow(/"values"/)
  })
})
