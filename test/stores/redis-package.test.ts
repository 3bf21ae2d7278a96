/**
 * cachestack/redis and cachestack/memcached from the built package, as ESM and
 * CommonJS, against real servers. `npm test` builds first.
 */
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REDIS_URL } from '../helpers/redis.js'
import { missingServers, startMemcached, type TestMemcached } from '../helpers/servers.js'

describe.skipIf(missingServers('redis', 'memcached') !== undefined)('the built redis and memcached entries', () => {
  let mc: TestMemcached
  beforeAll(async () => {
    mc = await startMemcached()
  })
  afterAll(() => mc.stop())

  it('load as ESM and CommonJS and work as tiers', async () => {
    const { createCache } = await import('cachestack')
    const redis = await import('cachestack/redis')
    const memcached = await import('cachestack/memcached')
    const require = createRequire(import.meta.url)
    expect((require('cachestack/redis') as typeof redis).redisStore).toBeTypeOf('function')
    expect((require('cachestack/memcached') as typeof memcached).memcachedStore).toBeTypeOf('function')
    const prefix = `cs-pkg-${process.pid}:`
    const cache = createCache({
      tiers: [redis.redisStore({ url: REDIS_URL, prefix }), memcached.memcachedStore({ servers: mc.url, prefix })],
    })
    await cache.set('k', { at: new Date(0) }, { tags: ['t'] })
    expect(await cache.get('k')).toEqual({ at: new Date(0) })
    await cache.invalidateTags(['t'])
    expect(await cache.get('k')).toBeUndefined()
    await cache.clear().catch(() => {})
    await cache.close()
  })
})
