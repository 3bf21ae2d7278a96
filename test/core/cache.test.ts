import { describe, expect, it } from 'vitest'
import { CacheError, createCache, manualClock, memoryStore } from '../../src/index.js'

const deferred = <T>() => {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('get / set / has / delete', () => {
  it('round-trips values and reports misses as undefined', async () => {
    const cache = createCache()
    expect(await cache.get('a')).toBeUndefined()
    await cache.set('a', { n: 1 })
    expect(await cache.get('a')).toEqual({ n: 1 })
    expect(await cache.has('a')).toBe(true)
    expect(await cache.delete('a')).toBe(true)
    expect(await cache.delete('a')).toBe(false)
    expect(await cache.has('a')).toBe(false)
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, sets: 1, deletes: 2 })
  })

  it('stores falsy values and undefined as real values', async () => {
    const cache = createCache()
    let loads = 0
    for (const v of [0, '', false, null]) {
      await cache.set(`k${String(v)}`, v)
      expect(await cache.get(`k${String(v)}`)).toBe(v)
    }
    const load = () => {
      loads++
      return undefined
    }
    expect(await cache.getOrSet('u', load)).toBeUndefined()
    expect(await cache.getOrSet('u', load)).toBeUndefined()
    expect(loads).toBe(1)
  })

  it('clear() empties every namespace', async () => {
    const cache = createCache()
    await cache.set('a', 1)
    await cache.namespace('n').set('b', 2)
    await cache.clear()
    expect(await cache.get('a')).toBeUndefined()
    expect(await cache.namespace('n').get('b')).toBeUndefined()
  })
})

describe('TTL and grace (injected clock, no sleeping)', () => {
  it('expires after ttl; per-call ttl overrides the default', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '1m' })
    await cache.set('default', 1)
    await cache.set('short', 2, { ttl: '10s' })
    clock.advance('11s')
    expect(await cache.get('short')).toBeUndefined()
    expect(await cache.get('default')).toBe(1)
    clock.advance('50s')
    expect(await cache.get('default')).toBeUndefined()
  })

  it('serves stale within grace when the loader fails, and rejects with the loader error after grace', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '1m', grace: '10m' })
    const stale: unknown[] = []
    cache.on('stale', (e) => stale.push(e.reason))
    await cache.getOrSet('k', () => 'v1')
    clock.advance('5m')
    const boom = new Error('db down')
    expect(await cache.getOrSet('k', () => Promise.reject(boom))).toBe('v1')
    expect(stale).toEqual(['error'])
    expect(cache.stats().staleHits).toBe(1)
    clock.advance('6m') // past ttl + grace
    await expect(cache.getOrSet('k', () => Promise.reject(boom))).rejects.toBe(boom)
  })

  it('get() never returns a stale value', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '1m', grace: '1h' })
    await cache.set('k', 1)
    clock.advance('2m')
    expect(await cache.get('k')).toBeUndefined()
  })

  it('rejects with the loader error itself when there is no stale value', async () => {
    const cache = createCache()
    class DbError extends Error {}
    const err = new DbError('nope')
    await expect(cache.getOrSet('k', () => Promise.reject(err))).rejects.toBe(err)
    await expect(
      cache.getOrSet('k2', () => {
        throw err
      }),
    ).rejects.toBe(err)
    expect(cache.stats().loadErrors).toBe(2)
  })

  it('soft timeout serves stale and lets the loader finish in the background', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '1m', grace: '1h', timeout: 20 })
    await cache.set('k', 'old')
    clock.advance('2m')
    const slow = deferred<string>()
    expect(await cache.getOrSet('k', () => slow.promise)).toBe('old')
    slow.resolve('new')
    await slow.promise
    await new Promise((r) => setImmediate(r))
    expect(await cache.get('k')).toBe('new')
  })

  it('without a stale value the timeout does not apply: callers wait for the loader', async () => {
    const cache = createCache({ timeout: 1 })
    const slow = deferred<string>()
    const p = cache.getOrSet('k', () => slow.promise)
    await new Promise((r) => setTimeout(r, 10))
    slow.resolve('v')
    expect(await p).toBe('v')
  })

  it('touch() extends the fresh time without reloading', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '1m' })
    await cache.set('k', 1)
    clock.advance('50s')
    expect(await cache.touch('k', { ttl: '5m' })).toBe(true)
    clock.advance('4m')
    expect(await cache.get('k')).toBe(1)
    expect(await cache.touch('missing')).toBe(false)
  })
})

describe('stampede protection', () => {
  it('runs the loader once for 1,000 concurrent misses, and all get its value', async () => {
    const cache = createCache()
    let loads = 0
    const gate = deferred<number>()
    const callers = Array.from({ length: 1000 }, () =>
      cache.getOrSet('hot', () => {
        loads++
        return gate.promise
      }),
    )
    gate.resolve(42)
    const values = await Promise.all(callers)
    expect(loads).toBe(1)
    expect(values.every((v) => v === 42)).toBe(true)
  })

  it('gives every concurrent caller the same loader error', async () => {
    const cache = createCache()
    let loads = 0
    const err = new Error('fail')
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () =>
        cache.getOrSet('k', async () => {
          loads++
          throw err
        }),
      ),
    )
    expect(loads).toBe(1)
    expect(results.every((r) => r.status === 'rejected' && r.reason === err)).toBe(true)
    expect(cache.stats().inflight).toBe(0)
  })

  it('a set() during a load wins over the load', async () => {
    const cache = createCache()
    const gate = deferred<string>()
    const load = cache.getOrSet('k', () => gate.promise)
    await cache.set('k', 'written')
    gate.resolve('loaded')
    expect(await load).toBe('loaded')
    expect(await cache.get('k')).toBe('written')
  })

  it('a delete() during a load keeps the loaded value out of the cache', async () => {
    const cache = createCache()
    const gate = deferred<string>()
    const load = cache.getOrSet('k', () => gate.promise)
    await cache.delete('k')
    gate.resolve('loaded-before-delete')
    await load
    expect(await cache.get('k')).toBeUndefined()
  })
})

describe('tags', () => {
  it('invalidates every tagged entry across namespaces, and only those', async () => {
    const cache = createCache()
    const users = cache.namespace('users')
    await users.set('1', 'ann', { tags: ['users', 'user:1'] })
    await users.set('2', 'bob', { tags: ['users', 'user:2'] })
    await cache.set('home', 'page', { tags: ['pages'] })
    await cache.set('list', 'all', { tags: ['users'] })
    await cache.invalidateTags(['user:1'])
    expect(await users.get('1')).toBeUndefined()
    expect(await users.get('2')).toBe('bob')
    await cache.invalidateTags(['users'])
    expect(await users.get('2')).toBeUndefined()
    expect(await cache.get('list')).toBeUndefined()
    expect(await cache.get('home')).toBe('page')
  })

  it('an invalidated entry is never fresh again, but serves as stale within grace when the loader fails', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '1h', grace: '1h' })
    await cache.getOrSet('k', () => 'v1', { tags: ['t'] })
    await cache.invalidateTags(['t'])
    expect(await cache.has('k')).toBe(false)
    expect(await cache.getOrSet('k', () => Promise.reject(new Error('x')), { tags: ['t'] })).toBe('v1')
    expect(await cache.getOrSet('k', () => 'v2', { tags: ['t'] })).toBe('v2')
    expect(await cache.get('k')).toBe('v2')
  })

  it('an invalidation during a load makes the loaded value stale at once', async () => {
    const cache = createCache()
    const gate = deferred<string>()
    const load = cache.getOrSet('k', () => gate.promise, { tags: ['t'] })
    await cache.invalidateTags(['t'])
    gate.resolve('loaded-from-old-data')
    expect(await load).toBe('loaded-from-old-data')
    expect(await cache.get('k')).toBeUndefined()
  })

  it('tags added by the loader with setTags count', async () => {
    const cache = createCache()
    await cache.getOrSet('k', (ctx) => {
      ctx.setTags(['late'])
      return 1
    })
    await cache.invalidateTags(['late'])
    expect(await cache.get('k')).toBeUndefined()
  })
})

describe('namespaces', () => {
  it('prefixes keys, clears only itself, and keeps its own stats', async () => {
    const cache = createCache()
    const a = cache.namespace('a')
    const b = cache.namespace('b')
    await a.set('k', 'A')
    await b.set('k', 'B')
    await cache.set('k', 'root')
    expect(await a.get('k')).toBe('A')
    await a.clear()
    expect(await a.get('k')).toBeUndefined()
    expect(await b.get('k')).toBe('B')
    expect(await cache.get('k')).toBe('root')
    const s = cache.stats()
    expect(s.namespaces.a).toMatchObject({ hits: 1, misses: 1 })
    expect(s.namespaces.b).toMatchObject({ hits: 1, misses: 0 })
    expect(s.hits).toBe(3)
    expect(cache.namespace('a')).toBe(a)
  })

  it('nested namespaces are cleared with their parent', async () => {
    const cache = createCache()
    const inner = cache.namespace('outer').namespace('inner')
    await inner.set('k', 1)
    expect(inner.name).toBe('outer:inner')
    await cache.namespace('outer').clear()
    expect(await inner.get('k')).toBeUndefined()
  })
})

describe('lock and bus options', () => {
  it('a bad lock duration is refused, naming the option, even without a lock tier', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const err = await cache.getOrSet('k', () => 1, { lock: 'soon' as '5s' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CacheError)
    expect((err as CacheError).code).toBe('ERR_CACHE_INVALID_TTL')
    expect((err as CacheError).message).toContain('lock')
  })

  it('lock without a lock-capable tier loads as usual', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    expect(await cache.getOrSet('k', () => 7, { lock: true })).toBe(7)
  })

  it('a bus that is not one is refused, naming the option', () => {
    expect(() => createCache({ tiers: [memoryStore()], bus: {} as never })).toThrow(/bus/)
    try {
      createCache({ tiers: [memoryStore()], bus: {} as never })
    } catch (e) {
      expect((e as CacheError).code).toBe('ERR_CACHE_INVALID_OPTION')
    }
  })
})

describe('getOrSet options', () => {
  it('shouldCache keeps unwanted values out', async () => {
    const cache = createCache()
    let loads = 0
    const load = () => {
      loads++
      return null
    }
    await cache.getOrSet('k', load, { shouldCache: (v) => v !== null })
    await cache.getOrSet('k', load, { shouldCache: (v) => v !== null })
    expect(loads).toBe(2)
  })

  it('minLoadTime caches only slow loads', async () => {
    const clock = manualClock()
    const cache = createCache({ clock })
    await cache.getOrSet('fast', () => 1, { minLoadTime: 100 })
    await cache.getOrSet(
      'slow',
      () => {
        clock.advance(150)
        return 2
      },
      { minLoadTime: 100 },
    )
    expect(await cache.has('fast')).toBe(false)
    expect(await cache.has('slow')).toBe(true)
  })

  it('setTtl from the loader overrides the ttl', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '1h' })
    await cache.getOrSet('k', (ctx) => {
      ctx.setTtl('1s')
      return 1
    })
    clock.advance('2s')
    expect(await cache.get('k')).toBeUndefined()
  })

  it('earlyRefresh { ratio } refreshes in the background and keeps serving the current value', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '100s', earlyRefresh: { ratio: 0.8 } })
    let version = 0
    const load = () => ++version
    expect(await cache.getOrSet('k', load)).toBe(1)
    clock.advance('50s')
    expect(await cache.getOrSet('k', load)).toBe(1)
    expect(version).toBe(1)
    clock.advance('35s') // 85% of the TTL
    expect(await cache.getOrSet('k', load)).toBe(1) // served at once
    await new Promise((r) => setImmediate(r))
    expect(version).toBe(2)
    expect(await cache.getOrSet('k', load)).toBe(2)
  })

  it('earlyRefresh XFetch refreshes slow-to-load entries before expiry', async () => {
    const clock = manualClock()
    const cache = createCache({ clock, ttl: '10s', earlyRefresh: { beta: 1 } })
    let loads = 0
    const load = () => {
      loads++
      clock.advance('5s') // a slow load: 5 s
      return loads
    }
    await cache.getOrSet('k', load)
    clock.advance('9s') // 1 s before expiry, load time 5 s: refresh is almost certain
    let refreshed = false
    for (let i = 0; i < 50 && !refreshed; i++) {
      await cache.getOrSet('k', load)
      await new Promise((r) => setImmediate(r))
      refreshed = loads > 1
    }
    expect(refreshed).toBe(true)
  })
})

describe('many-key operations', () => {
  it('getMany, setMany, deleteMany', async () => {
    const cache = createCache()
    await cache.setMany([
      ['a', 1],
      ['b', 2],
    ])
    await cache.setMany(new Map([['c', 3]]))
    expect(await cache.getMany(['a', 'x', 'b', 'c'])).toEqual([1, undefined, 2, 3])
    await cache.deleteMany(['a', 'c'])
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual([undefined, 2, undefined])
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 3 })
  })
})

describe('events and stats', () => {
  it('emits hit, miss, load, set, delete, invalidate, clear; off() stops listening', async () => {
    const cache = createCache()
    const seen: string[] = []
    const names = ['hit', 'miss', 'load', 'set', 'delete', 'invalidate', 'clear'] as const
    const listener = (name: string) => () => seen.push(name)
    const listeners = names.map((n) => [n, listener(n)] as const)
    for (const [n, l] of listeners) cache.on(n, l)
    await cache.getOrSet('k', () => 1)
    await cache.getOrSet('k', () => 1)
    await cache.delete('k')
    await cache.invalidateTags(['t'])
    await cache.clear()
    expect(seen).toEqual(['miss', 'load', 'set', 'hit', 'delete', 'invalidate', 'clear'])
    for (const [n, l] of listeners) cache.off(n, l)
    await cache.get('k')
    expect(seen).toHaveLength(7)
  })

  it('a listener that throws does not break the cache', async () => {
    const cache = createCache()
    cache.on('hit', () => {
      throw new Error('listener bug')
    })
    await cache.set('k', 1)
    expect(await cache.get('k')).toBe(1)
  })

  it('counts evictions from the memory tier and computes the hit ratio', async () => {
    const cache = createCache({ tiers: [memoryStore({ maxEntries: 2, policy: 'lru' })] })
    const evicted: string[] = []
    cache.on('evict', (e) => evicted.push(e.key))
    await cache.set('a', 1)
    await cache.set('b', 2)
    await cache.set('c', 3)
    expect(evicted).toEqual(['a'])
    await cache.get('b')
    await cache.get('a')
    const s = cache.stats()
    expect(s.evictions).toBe(1)
    expect(s.hitRatio).toBe(0.5)
  })
})

describe('types', () => {
  it('getOrSet resolves the loader type; get resolves T | undefined', async () => {
    const cache = createCache()
    const n: number = await cache.getOrSet('n', async () => 5)
    const s: string | undefined = await cache.get<string>('s')
    expect(n).toBe(5)
    expect(s).toBeUndefined()
  })
})

describe('close', () => {
  it('rejects writes after close with ERR_CACHE_CLOSED', async () => {
    const cache = createCache()
    await cache.close()
    await expect(cache.set('k', 1)).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' })
    await expect(cache.getOrSet('k', () => 1)).rejects.toBeInstanceOf(CacheError)
  })
})

describe('the system clock', () => {
  it('lets a real TTL expire once the event loop has turned', async () => {
    const cache = createCache({ tiers: [memoryStore()], ttl: 30 })
    await cache.set('k', 'v')
    expect(await cache.get('k')).toBe('v')
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(await cache.get('k')).toBeUndefined()
  })
})
