/**
 * A change the shared tier missed (fail-open acknowledged it) is repaired when
 * the tier answers again: the key is deleted there and announced on the bus,
 * so no other process keeps serving the value from before. Without it, process
 * B read the deleted value from Redis for as long as its TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { redisBus, redisStore } from '../../src/redis.js'
import { faultProxy } from '../faults/fault-proxy.js'
import { missingServers, startRedis, type TestRedis, waitFor } from '../helpers/servers.js'

describe.skipIf(missingServers('redis') !== undefined)('repair after a shared tier comes back', () => {
  let redis: TestRedis
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(() => redis.stop())

  for (const change of ['delete', 'set'] as const) {
    it(`a ${change} Redis missed is repaired there once it answers; another process stops serving the old value`, async () => {
      const proxy = await faultProxy(redis.port)
      const channel = `repair-${change}-${Math.random()}`
      const a = createCache({
        tiers: [memoryStore(), redisStore({ url: `redis://${proxy.address}`, timeout: 100, breaker: false })],
        bus: redisBus({ url: redis.url, channel }),
        ttl: '1h',
      })
      const b = createCache({
        tiers: [memoryStore(), redisStore({ url: redis.url })],
        bus: redisBus({ url: redis.url, channel }),
        ttl: '1h',
      })
      try {
        await a.set('k', 'old')
        await waitFor('b to read the old value', async () => (await b.get('k')) === 'old')
        proxy.set({ kind: 'reset' }) // the change is lost with the connection (a blackhole would deliver it later)
        if (change === 'delete') await a.delete('k')
        else await a.set('k', 'new')
        // B heard of the change and dropped its copy, but Redis still holds the old value.
        expect(await b.get('k')).toBe('old')
        proxy.set({ kind: 'none' })
        await waitFor('the old value to be gone for b', async () => (await b.get('k')) !== 'old')
      } finally {
        await a.close()
        await b.close()
        await proxy.close()
      }
    })
  }
})
