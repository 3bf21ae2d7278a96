import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CacheError, createCache, memoryStore } from '../../src/index.js'
import { type MemcachedTier, memcachedStore } from '../../src/memcached.js'
import { missingServers, startMemcached, type TestMemcached } from '../helpers/servers.js'

describe.skipIf(missingServers('memcached') !== undefined)(
  'Memcached: lease lock and honest clear (issue 19, finding 9)',
  () => {
    let server: TestMemcached
    const stores: MemcachedTier[] = []
    const store = (prefix = 'lk:') => {
      const s = memcachedStore({ servers: server.url, prefix })
      stores.push(s)
      return s
    }
    beforeAll(async () => {
      server = await startMemcached({ itemSize: 1024 * 1024 })
    })
    afterAll(async () => {
      for (const s of stores) await s.close()
      await server.stop()
    })

    it('lock: true across two instances runs the loader once', { timeout: 30_000 }, async () => {
      // Two processes: each its own memory tier and its own Memcached client, on one server.
      const a = createCache({ tiers: [memoryStore(), store()] })
      const b = createCache({ tiers: [memoryStore(), store()] })
      let runs = 0
      const loader = async () => {
        runs++
        await new Promise((r) => setTimeout(r, 300))
        return { price: 42 }
      }
      const [x, y] = await Promise.all([
        a.getOrSet('product:1', loader, { lock: true }),
        b.getOrSet('product:1', loader, { lock: true }),
      ])
      expect(x).toEqual({ price: 42 })
      expect(y).toEqual({ price: 42 })
      expect(runs).toBe(1)
    })

    it('the lease is exclusive until released, and only its holder releases it', async () => {
      const one = store()
      const two = store()
      const release = await one.lock!('job', 10_000)
      expect(release).toBeTypeOf('function')
      expect(await two.lock!('job', 10_000)).toBeUndefined()
      expect(await one.lock!('other-job', 10_000)).toBeTypeOf('function')
      await release!()
      const next = await two.lock!('job', 10_000)
      expect(next).toBeTypeOf('function')
      // A stale release (the first holder again) does not drop the second holder's lease.
      await release!()
      expect(await one.lock!('job', 10_000)).toBeUndefined()
      await next!()
    })

    it('a non-strict clear() that cannot clear Memcached rejects instead of reporting success', async () => {
      const cache = createCache({ tiers: [memoryStore(), store('clr:')] })
      await cache.set('k', 'old')
      const err = await cache.clear().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(CacheError)
      expect((err as CacheError).code).toBe('ERR_CACHE_INVALID_OPTION')
      expect((err as CacheError).message).toMatch(/flushOnClear/)
      // What clear() said it did not do is still there, and it said so.
      expect(await cache.get('k')).toBe('old')
      // A namespace clear works on Memcached (by version) and resolves.
      const ns = cache.namespace('users')
      await ns.set('1', 'ada')
      await ns.clear()
      expect(await ns.get('1')).toBeUndefined()
    })

    it('with flushOnClear, clear() resolves and the old value is gone', async () => {
      const s = memcachedStore({ servers: server.url, prefix: 'fl:', flushOnClear: true })
      stores.push(s)
      const cache = createCache({ tiers: [memoryStore(), s] })
      await cache.set('k', 'old')
      await cache.clear()
      expect(await cache.get('k')).toBeUndefined()
    })
  },
)
