import { describe, expect, it } from 'vitest'
import { CacheError, createCache, manualClock, memoryStore } from '../../src/index.js'
import { argsKey, memoize } from '../../src/strategies.js'

describe('argsKey: stable keys for argument shapes', () => {
  it('equal arguments give equal keys; object key order does not matter', () => {
    expect(argsKey([{ a: 1, b: [1, 2], c: { y: 2, x: 1 } }])).toBe(argsKey([{ c: { x: 1, y: 2 }, b: [1, 2], a: 1 }]))
    expect(argsKey([new Date(5)])).toBe(argsKey([new Date(5)]))
    expect(argsKey([10n])).toBe(argsKey([10n]))
    expect(
      argsKey([
        new Map([
          [1, 'a'],
          [2, 'b'],
        ]),
      ]),
    ).toBe(
      argsKey([
        new Map([
          [2, 'b'],
          [1, 'a'],
        ]),
      ]),
    )
    expect(argsKey([new Set([1, 2])])).toBe(argsKey([new Set([2, 1])]))
    expect(argsKey([Buffer.from('hi')])).toBe(argsKey([Buffer.from('hi')]))
    expect(argsKey([-0])).toBe(argsKey([0]))
  })

  it('different types and shapes never collide', () => {
    const shapes: unknown[][] = [
      [],
      [1],
      ['1'],
      [1n],
      ['1n'],
      [true],
      ['true'],
      [null],
      [undefined],
      ['undefined'],
      [[1]],
      [1, undefined],
      [''],
      [new Date(1)],
      ['D1'],
      [{ a: 1 }],
      [{ a: '1' }],
      [new Map([['a', 1]])],
      [new Set(['a'])],
      [['a']],
      ['a', 'b'],
      ['a,b'],
      [['a', 'b']],
      ['\u0001n1'],
      [1.5],
      [70000],
      [-1],
      [Number.NaN],
      [{}],
      [Object.create(null)],
      [new Uint8Array([1])],
      [Buffer.from([1])],
      ['x'.repeat(300)],
      ['x'.repeat(301)],
    ]
    const keys = shapes.map((s) => argsKey(s))
    // [{}] and [Object.create(null)] are both "an empty plain object": the one intended equality.
    expect(keys[28]).toBe(keys[29])
    keys.splice(29, 1)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('a plain string is its own key; long keys are hashed to a bounded length', () => {
    expect(argsKey(['user:1'])).toBe('user:1')
    expect(argsKey(['x'.repeat(5000)]).length).toBeLessThan(100)
    expect(argsKey([{ big: 'y'.repeat(5000) }]).length).toBeLessThan(100)
  })

  it('refuses functions, symbols, cycles and class instances with ERR_CACHE_UNKEYABLE', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    class Point {
      x = 1
    }
    for (const bad of [() => 1, Symbol('s'), cyclic, new Point(), { nested: { fn: () => 1 } }]) {
      let err: unknown
      try {
        argsKey([bad])
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(CacheError)
      expect((err as CacheError).code).toBe('ERR_CACHE_UNKEYABLE')
      expect((err as CacheError).message).toMatch(/`key` option/)
    }
    // Shared (not cyclic) references are fine; toJSON is used when a class has it.
    const shared = { a: 1 }
    expect(() => argsKey([{ x: shared, y: shared }])).not.toThrow()
    class Money {
      toJSON() {
        return '5 EUR'
      }
    }
    expect(argsKey([new Money()])).toBe(argsKey([new Money()]))
  })
})

describe('memoize', () => {
  it('a sync function stays sync; results are cached by arguments', () => {
    let calls = 0
    const add = memoize((a: number, b: number) => {
      calls++
      return a + b
    })
    expect(add(1, 2)).toBe(3)
    expect(add(1, 2)).toBe(3)
    expect(add(2, 1)).toBe(3)
    expect(calls).toBe(2)
    const square = memoize((n: number) => {
      calls++
      return n * n
    })
    expect(square(4)).toBe(16)
    expect(square(4)).toBe(16)
    expect(calls).toBe(3)
    expect(add.name).toBe('')
  })

  it('caches undefined and falsy results, never thrown errors', () => {
    let calls = 0
    const f = memoize((x: string) => {
      calls++
      if (x === 'boom') throw new Error('boom')
      return x === 'u' ? undefined : 0
    })
    expect(f('u')).toBeUndefined()
    expect(f('u')).toBeUndefined()
    expect(f('z')).toBe(0)
    expect(f('z')).toBe(0)
    expect(calls).toBe(2)
    expect(() => f('boom')).toThrow('boom')
    expect(() => f('boom')).toThrow('boom')
    expect(calls).toBe(4)
  })

  it('an async function: concurrent calls share one call; rejections are not cached', async () => {
    let calls = 0
    const find = memoize(async (id: number) => {
      calls++
      await new Promise((r) => setImmediate(r))
      if (id < 0) throw new Error('negative')
      return { id }
    })
    const [a, b] = await Promise.all([find(1), find(1)])
    expect(a).toEqual({ id: 1 })
    expect(b).toEqual({ id: 1 })
    expect(calls).toBe(1)
    const hit = find(1)
    expect(hit).toBeInstanceOf(Promise)
    expect(await hit).toEqual({ id: 1 })
    await expect(find(-1)).rejects.toThrow('negative')
    await expect(find(-1)).rejects.toThrow('negative')
    expect(calls).toBe(3)
  })

  it('a function returning a promise (not declared async) is detected on its first call', async () => {
    const f = memoize((x: number) => Promise.resolve(x * 2))
    expect(await f(2)).toBe(4)
    const again = f(2)
    expect(again).toBeInstanceOf(Promise)
    expect(await again).toBe(4)
  })

  it('delete(...args) and clear() forget results', async () => {
    let calls = 0
    const f = memoize((o: { a: number; b: number }) => {
      calls++
      return o.a + o.b
    })
    f({ a: 1, b: 2 })
    f({ b: 2, a: 1 })
    expect(calls).toBe(1)
    await f.delete({ b: 2, a: 1 })
    f({ a: 1, b: 2 })
    expect(calls).toBe(2)
    f({ a: 5, b: 5 })
    await f.clear()
    f({ a: 1, b: 2 })
    f({ a: 5, b: 5 })
    expect(calls).toBe(5)
  })

  it('needs a name for an anonymous function in a shared cache', () => {
    const cache = createCache({ tiers: [memoryStore()] })
    expect(() => memoize((x: number) => x, { cache })).toThrow(/name/)
    function named(x: number) {
      return x
    }
    expect(memoize(named, { cache }).cache.name).toBe('memo:named')
  })

  it('refuses unkeyable arguments with a clear error', () => {
    const f = memoize((cb: () => void) => cb)
    expect(() => f(() => {})).toThrow(/argument 1 is a function/)
  })

  it('a custom key; this is passed through', () => {
    const f = memoize(
      function (this: { base: number }, n: number) {
        return this.base + n
      },
      {
        key: function (this: unknown, n: number) {
          return `${(this as { base: number }).base}/${n}`
        },
      },
    )
    expect(f.call({ base: 10 }, 1)).toBe(11)
    expect(f.call({ base: 20 }, 1)).toBe(21)
  })

  it('in a shared cache: ttl by the cache clock, tags, a namespace per function', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    let calls = 0
    const price = memoize(
      async (sku: string) => {
        calls++
        return `${sku}@${calls}`
      },
      { cache, name: 'price', ttl: '1m', tags: (sku) => [`sku:${sku}`, 'prices'] },
    )
    expect(await price('a')).toBe('a@1')
    expect(await price('a')).toBe('a@1')
    clock.advance('61s')
    expect(await price('a')).toBe('a@2')
    await cache.invalidateTags(['sku:a'])
    expect(await price('a')).toBe('a@3')
    expect(await price('b')).toBe('b@4')
    await cache.invalidateTags(['prices'])
    expect(await price('b')).toBe('b@5')
    expect(cache.stats().namespaces.price).toMatchObject({ hits: 1 })
  })

  it('with a cache whose first tier is not in memory, async results still come from the cache', async () => {
    // A tier that stores bytes and answers with promises, like Redis.
    const bytes = new Map<string, Uint8Array>()
    const asyncTier = {
      name: 'async',
      binary: true as const,
      get: async (k: string) => bytes.get(k),
      set: async (k: string, v: Uint8Array) => void bytes.set(k, v),
      delete: async (k: string) => bytes.delete(k),
      clear: async () => bytes.clear(),
    }
    const cache = createCache({ tiers: [asyncTier] })
    let calls = 0
    const f = memoize(async (x: number) => ++calls + x, { cache, name: 'f' })
    expect(await f(1)).toBe(2)
    expect(await f(1)).toBe(2)
    expect(calls).toBe(1)
  })
})

describe('memoize over a tier with shared tag versions (SQLite)', () => {
  it('a sync function keeps hitting after the local copy of the versions ages out', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { sqliteStore } = await import('../../src/sqlite.js')
    const dir = mkdtempSync(join(tmpdir(), 'cs-memo-'))
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore(), sqliteStore({ path: join(dir, 'c.db') })], clock })
    let calls = 0
    const f = memoize(
      function square(n: number) {
        calls++
        return n * n
      },
      { cache },
    )
    expect(f(3)).toBe(9)
    await new Promise((r) => setImmediate(r))
    expect(f(3)).toBe(9)
    const before = calls
    clock.advance('5s')
    expect(f(3)).toBe(9)
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
    for (let i = 0; i < 10; i++) expect(f(3)).toBe(9)
    // At most one recomputation while the versions were re-read; hits after.
    expect(calls - before).toBeLessThanOrEqual(1)
    await cache.close()
    rmSync(dir, { recursive: true, force: true })
  })
})
