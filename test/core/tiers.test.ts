import { describe, expect, it } from 'vitest'
import { createCache, defaultSerializer, type Envelope, manualClock, memoryStore, type Store } from '../../src/index.js'

/** A byte-storing tier over a memory store, to exercise the serialize path with real bytes. */
function bytesTier(name = 'bytes'): Store<Uint8Array> & { failing: boolean; raw: Map<string, Uint8Array> } {
  const raw = new Map<string, Uint8Array>()
  const tier = {
    name,
    binary: true,
    failing: false,
    raw,
    get(key: string) {
      if (tier.failing) return Promise.reject(new Error(`${name} down`))
      return Promise.resolve(raw.get(key))
    },
    set(key: string, value: Uint8Array) {
      if (tier.failing) return Promise.reject(new Error(`${name} down`))
      raw.set(key, value)
      return Promise.resolve()
    },
    delete(key: string) {
      return Promise.resolve(raw.delete(key))
    },
    clear(prefix = '') {
      for (const k of raw.keys()) if (k.startsWith(prefix)) raw.delete(k)
    },
  }
  return tier
}

describe('several tiers', () => {
  it('writes every tier; an L2 hit is copied up to L1 with its remaining time, not a fresh TTL', async () => {
    const clock = manualClock()
    const l1 = memoryStore()
    const l2 = bytesTier()
    const cache = createCache({ clock, tiers: [l1, l2], ttl: '10m' })
    await cache.set('k', { v: 1 })
    expect(l1.peek('k')?.value).toEqual({ v: 1 })
    expect(l2.raw.has('k')).toBe(true)
    l1.delete('k')
    clock.advance('4m')
    expect(await cache.get('k')).toEqual({ v: 1 })
    const copied = l1.peek('k') as Envelope
    expect(copied.freshUntil - clock.now()).toBe(6 * 60_000)
    expect(cache.stats().hits).toBe(1)
  })

  it('a failing tier is skipped and counted: reads fall through to the loader, nothing throws', async () => {
    const l2 = bytesTier('flaky')
    const cache = createCache({ tiers: [memoryStore(), l2] })
    const errors: string[] = []
    cache.on('error', (e) => errors.push(`${e.tier}:${e.operation}`))
    l2.failing = true
    expect(await cache.getOrSet('k', () => 'from source')).toBe('from source')
    expect(cache.stats().tierErrors.flaky).toBe(2) // the read and the write
    expect(errors).toEqual(['flaky:get', 'flaky:set'])
    expect(await cache.get('k')).toBe('from source') // L1 still serves
  })

  it('strict mode propagates tier errors', async () => {
    const l2 = bytesTier()
    const cache = createCache({ tiers: [memoryStore(), l2], strict: true })
    l2.failing = true
    await expect(cache.set('k', 1)).rejects.toThrow(/down/)
  })

  it('set() of an unserializable value rejects with ERR_CACHE_SERIALIZE and writes no tier', async () => {
    const l1 = memoryStore()
    const cache = createCache({ tiers: [l1, bytesTier()] })
    await expect(cache.set('k', { fn: () => 1 })).rejects.toMatchObject({ code: 'ERR_CACHE_SERIALIZE' })
    expect(l1.peek('k')).toBeUndefined()
  })

  it('getOrSet of an unserializable loaded value still answers, and reports the error', async () => {
    const cache = createCache({ tiers: [memoryStore(), bytesTier()] })
    const errors: unknown[] = []
    cache.on('error', (e) => errors.push(e.error))
    const fn = () => 1
    expect(await cache.getOrSet('k', () => ({ fn }))).toEqual({ fn })
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'ERR_CACHE_SERIALIZE' })
  })

  it('getMany reads L1 then batches the rest from L2', async () => {
    const l1 = memoryStore()
    const l2 = bytesTier()
    const cache = createCache({ tiers: [l1, l2] })
    await cache.setMany<unknown>([
      ['a', 1],
      ['b', new Date(0)],
    ])
    l1.clear()
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual([1, new Date(0), undefined])
    expect(l1.peek('a')?.value).toBe(1)
  })

  it('a byte tier alone works (no sync tier)', async () => {
    const cache = createCache({ tiers: [bytesTier()] })
    expect(await cache.getOrSet('k', async () => new Set([1]))).toEqual(new Set([1]))
    expect(await cache.get('k')).toEqual(new Set([1]))
    expect(defaultSerializer).toBeDefined()
  })
})

describe('touch over a tier with compareAndSet', () => {
  /** `bytesTier` with a compare-and-set on its map. */
  function casTier() {
    const tier = bytesTier('shared')
    return Object.assign(tier, {
      compareAndSet(key: string, expected: Uint8Array, value: Uint8Array) {
        if (tier.failing) return Promise.reject(new Error('shared down'))
        const now = tier.raw.get(key)
        if (now === undefined || !Buffer.from(now).equals(Buffer.from(expected))) return Promise.resolve(false)
        tier.raw.set(key, value)
        return Promise.resolve(true)
      },
    })
  }

  it('rewrites the shared entry and copies it up; resolves false when the shared tier no longer has it', async () => {
    const clock = manualClock()
    const l1 = memoryStore()
    const l2 = casTier()
    const cache = createCache({ clock, tiers: [l1, l2], ttl: '1m', grace: 0 })
    await cache.set('k', 'v')
    clock.advance('50s')
    expect(await cache.touch('k', { ttl: '1m' })).toBe(true)
    expect(l1.peek('k')?.freshUntil).toBe(clock.now() + 60_000)
    clock.advance('50s')
    expect(await cache.get('k')).toBe('v')
    l2.raw.delete('k') // another process deleted it; this process's L1 has not heard
    expect(await cache.touch('k', { ttl: '1h' })).toBe(false)
    expect(l2.raw.has('k')).toBe(false)
    expect(l1.peek('k')?.freshUntil).toBeLessThan(clock.now() + 60_000)
  })

  it('a failing shared tier: false, nothing rewritten, the error counted; strict rejects', async () => {
    const l1 = memoryStore()
    const l2 = casTier()
    const cache = createCache({ tiers: [l1, l2], ttl: '1m' })
    await cache.set('k', 'v')
    const before = l1.peek('k')?.freshUntil
    l2.failing = true
    expect(await cache.touch('k', { ttl: '1h' })).toBe(false)
    expect(l1.peek('k')?.freshUntil).toBe(before)
    expect(cache.stats().tierErrors.shared).toBe(1)
    const strict = createCache({ tiers: [memoryStore(), l2], strict: true })
    await expect(strict.touch('k')).rejects.toThrow('shared down')
  })
})
