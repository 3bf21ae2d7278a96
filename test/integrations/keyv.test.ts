// cachestack/keyv with cache-manager 7 and Keyv themselves, over a memory tier
// and over the test Redis shared by two caches (as two processes would be).
import { createCache as createCacheManager } from 'cache-manager'
import { Keyv } from 'keyv'
import { afterAll, describe, expect, it } from 'vitest'
import { type Cache, CacheError, createCache, memoryStore } from '../../src/index.js'
import { keyvOptions, keyvStore } from '../../src/keyv.js'
import { redisBus, redisStore } from '../../src/redis.js'
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.js'

const caches: Cache[] = []
afterAll(async () => {
  for (const c of caches) await c.close()
})
function local(): Cache {
  const cache = createCache({ tiers: [memoryStore()] })
  caches.push(cache)
  return cache
}

describe('cachestack/keyv under cache-manager 7', () => {
  it('round-trips rich values through keyvOptions (cachestack serializes, not Keyv)', async () => {
    const manager = createCacheManager({ stores: [new Keyv(keyvOptions(local()))] })
    const value = {
      at: new Date('2026-12-07T10:00:00Z'),
      ids: new Set([1, 2]),
      big: 10n ** 20n,
      map: new Map([['a', 1]]),
    }
    await manager.set('rich', value)
    const back = (await manager.get('rich')) as typeof value
    expect(back.at).toBeInstanceOf(Date)
    expect(back.at.toISOString()).toBe('2026-12-07T10:00:00.000Z')
    expect(back.ids).toEqual(new Set([1, 2]))
    expect(back.big).toBe(10n ** 20n)
    expect(back.map.get('a')).toBe(1)
  })

  it('get, set with a TTL, del, wrap and clear behave as cache-manager documents', async () => {
    const cache = local()
    const manager = createCacheManager({ stores: [new Keyv(keyvOptions(cache))] })
    await manager.set('short', 'v', 30)
    await manager.set('long', 'w', 60_000)
    expect(await manager.get('short')).toBe('v')
    await new Promise((r) => setTimeout(r, 80))
    expect(await manager.get('short')).toBeUndefined()
    expect(await manager.get('long')).toBe('w')

    let loads = 0
    const load = async () => ++loads
    expect(await manager.wrap('w', load, 60_000)).toBe(1)
    expect(await manager.wrap('w', load, 60_000)).toBe(1)
    expect(loads).toBe(1)

    expect(await manager.del('long')).toBe(true)
    expect(await manager.get('long')).toBeUndefined()
    await manager.mset([
      { key: 'm1', value: 1 },
      { key: 'm2', value: 2, ttl: 60_000 },
    ])
    expect(await manager.mget(['m1', 'm2', 'none'])).toEqual([1, 2, undefined])
    expect(cache.stats().sets).toBeGreaterThan(0)
    await manager.clear()
    expect(await manager.get('m1')).toBeUndefined()
  })

  it('a Keyv namespace is a cachestack namespace: clear() empties that namespace only', async () => {
    const cache = local()
    const a = new Keyv(keyvOptions(cache, { namespace: 'a' }))
    const b = new Keyv(keyvOptions(cache, { namespace: 'b' }))
    await a.set('k', 'from a')
    await b.set('k', 'from b')
    await a.clear()
    expect(await a.get('k')).toBeUndefined()
    expect(await b.get('k')).toBe('from b')
  })

  it('tags derived from keys let cache.invalidateTags reach what cache-manager stored', async () => {
    const cache = local()
    const tags = (key: string) => [key.split(':').at(-2) ?? 'misc']
    const manager = createCacheManager({ stores: [new Keyv(keyvOptions(cache, { tags }))] })
    await manager.set('users:42', { name: 'Ada' })
    await manager.set('posts:7', { title: 'Hi' })
    await cache.invalidateTags(['users'])
    expect(await manager.get('users:42')).toBeUndefined()
    expect(await manager.get('posts:7')).toEqual({ title: 'Hi' })
  })

  it('refuses what is not a cache, and an invalid key rejects with ERR_CACHE_KEY', async () => {
    expect(() => keyvStore({} as Cache)).toThrow(CacheError)
    expect(() => keyvStore(local(), { tags: 'users' as never })).toThrow(/tags/)
    const store = keyvStore(local())
    await expect(store.get('')).rejects.toMatchObject({ code: 'ERR_CACHE_KEY' })
  })
})

const hasRedis = await redisAvailable()
describe.skipIf(!hasRedis)('cachestack/keyv over a shared Redis tier', () => {
  it('two instances share entries, and a delete in one is seen by the other at once (bus)', async () => {
    const prefix = uniquePrefix('keyv')
    const make = () => {
      const cache = createCache({
        tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })],
        bus: redisBus({ url: REDIS_URL, channel: `${prefix}bus` }),
        ttl: '1m',
      })
      caches.push(cache)
      return createCacheManager({ stores: [new Keyv(keyvOptions(cache))] })
    }
    const one = make()
    const two = make()
    await one.set('product:1', { price: 10 })
    expect(await two.get('product:1')).toEqual({ price: 10 }) // from Redis, now in two's memory tier too
    await one.set('product:1', { price: 12 })
    await new Promise((r) => setTimeout(r, 100)) // one bus delivery
    expect(await two.get('product:1')).toEqual({ price: 12 })
    await one.del('product:1')
    await new Promise((r) => setTimeout(r, 100))
    expect(await two.get('product:1')).toBeUndefined()
  })
})
