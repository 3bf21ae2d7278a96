/**
 * Review of touch over Memcached: compareAndSet issued while the store's first connection is
 * being made waits for it, as every other operation does (first-connection.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { memcachedStore } from '../../src/memcached.js'
import { missingServers, startMemcached, type TestMemcached } from '../helpers/servers.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(missingServers('memcached') !== undefined)('memcachedStore: compareAndSet while connecting', () => {
  let server: TestMemcached
  const prefix = 'mc-review:'
  beforeAll(async () => {
    server = await startMemcached()
  })
  afterAll(async () => {
    await server.stop()
  })

  it('a compare-and-set that is the first operation is timed from when the server answers', async () => {
    const writer = memcachedStore({ servers: server.url, prefix })
    await writer.set('cas', bytes('v1'), Number.POSITIVE_INFINITY)
    const expected = (await writer.get('cas'))!
    await writer.close()

    const store = memcachedStore({ servers: server.url, prefix, timeout: 200, breaker: false })
    server.pause() // accepts the connection, answers nothing: connecting takes 600 ms, as under load
    let call: Promise<boolean>
    try {
      call = Promise.resolve(store.compareAndSet!('cas', expected, bytes('v2'), Number.POSITIVE_INFINITY))
      call.catch(() => {})
      await sleep(600)
    } finally {
      server.resume()
    }
    expect(await call).toBe(true)
    expect(store.health!()).toMatchObject({ timeouts: 0, failures: 0 })
    expect(new TextDecoder().decode(await store.get('cas'))).toBe('v2')
    await store.close()
  })

  it('two touches at once over Memcached both resolve true, hashed keys too; a delete still wins', async () => {
    const cache = createCache({ tiers: [memoryStore(), memcachedStore({ servers: server.url, prefix })], ttl: '1h' })
    for (const key of ['short', `long-${'k'.repeat(300)}`]) {
      await cache.set(key, 'v')
      expect(await Promise.all([cache.touch(key, { ttl: '2h' }), cache.touch(key, { ttl: '3h' })])).toEqual([
        true,
        true,
      ])
      await cache.delete(key)
      expect(await cache.touch(key, { ttl: '2h' })).toBe(false)
    }
    await cache.close()
  })
})
