/**
 * One budget per call on a sick tier (finding 5 of issue 20): a frozen Redis
 * (SIGSTOP) or one that accepts connections and never answers costs a call at
 * most the cache's `budget`, however many operations the call makes and
 * whatever the tier's own timeouts. No timing threshold: the tiers' timeouts
 * here are an hour, so without the budget these calls never end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CacheError, createCache, memoryStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { faultProxy } from '../faults/fault-proxy.js'
import { missingServers, startRedis, type TestRedis } from '../helpers/servers.js'

const missing = missingServers('redis')

describe.skipIf(missing !== undefined)('budget: one per call on a sick tier', () => {
  let redis: TestRedis
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    redis.resume()
    await redis.stop()
  })

  it('a frozen Redis (SIGSTOP): getOrSet answers from the loader within the budget, read and write together', async () => {
    const cache = createCache({
      tiers: [memoryStore(), redisStore({ url: redis.url, timeout: '1h', breaker: false })],
      budget: '100ms',
    })
    await cache.set('warm', 1)
    redis.pause()
    try {
      const values = await Promise.all([1, 2, 3].map((i) => cache.getOrSet(`k${i}`, () => i * 10)))
      expect(values).toEqual([10, 20, 30])
      // The memory tier has them at once: the next calls are hits.
      expect(await cache.getOrSet('k1', () => -1)).toBe(10)
    } finally {
      redis.resume()
      await cache.close()
    }
  })

  it('a Redis that accepts but never answers at startup: the first call answers within the budget', async () => {
    const proxy = await faultProxy(redis.port)
    proxy.set({ kind: 'blackhole' })
    const cache = createCache({
      tiers: [memoryStore(), redisStore({ url: `redis://${proxy.address}`, timeout: '1h', connectTimeout: '1h' })],
      budget: '100ms',
    })
    try {
      expect(await cache.getOrSet('first', () => 'loaded')).toBe('loaded')
    } finally {
      await cache.close()
      await proxy.close()
    }
  })

  it('strict: the budget running out rejects with ERR_CACHE_TIMEOUT', async () => {
    const cache = createCache({
      tiers: [memoryStore(), redisStore({ url: redis.url, timeout: '1h', breaker: false })],
      budget: '50ms',
      strict: true,
    })
    await cache.set('warm', 1)
    redis.pause()
    try {
      await expect(cache.getOrSet('s', () => 1)).rejects.toSatisfy(
        (e) => e instanceof CacheError && e.code === 'ERR_CACHE_TIMEOUT',
      )
    } finally {
      redis.resume()
      await cache.close()
    }
  })

  it('budget: false turns it off; a bad one is refused with a CacheError', () => {
    expect(() => createCache({ tiers: [memoryStore()], budget: '5constructor' })).toThrow(CacheError)
    expect(() => createCache({ tiers: [memoryStore()], budget: false })).not.toThrow()
  })
})
