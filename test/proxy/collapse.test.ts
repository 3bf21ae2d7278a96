/**
 * Coalescing across proxies through a lock-capable tier, in one process: two
 * proxies (each with its own in-process coalescing) over one cache whose tier
 * offers `lock`, the way processes share Redis. The lock's failures and a
 * holder that never stores degrade to fetching the origin, never to an error.
 * The real multi-process set-up is in collapse-redis.test.ts.
 */
import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { createProxy, type ProxyOptions } from '../../src/proxy.js'
import { listen, type Reply, request } from '../http/helpers.js'
import { status } from './helpers.js'

type Lock = (key: string, ttl: number) => Promise<(() => Promise<void>) | undefined>

/** A memory tier with a lock like Redis's `SET NX PX` (held until released or `ttl` ms). */
function sharedLock(): Lock {
  const held = new Map<string, symbol>()
  return async (key, ttl) => {
    if (held.has(key)) return undefined
    const token = Symbol(key)
    held.set(key, token)
    const timer = setTimeout(() => {
      if (held.get(key) === token) held.delete(key)
    }, ttl)
    return async () => {
      clearTimeout(timer)
      if (held.get(key) === token) held.delete(key)
    }
  }
}

interface Pair {
  cache: Cache
  hits: () => number
  locks: () => number
  get: (i: number, path: string) => Promise<Reply>
  close: () => Promise<void>
}

let pair: Pair | undefined
afterEach(async () => {
  await pair?.close()
  pair = undefined
})

/** An origin answering after 50 ms with `cacheControl`, and two proxies in front of it over one cache whose tier locks with `lock`. */
async function twoProxies(lock: Lock, cacheControl: string, options: Partial<ProxyOptions> = {}): Promise<Pair> {
  let n = 0
  const origin = await listen(
    http.createServer((_req, res) => {
      n++
      const mine = n
      setTimeout(() => {
        res.writeHead(200, { 'cache-control': cacheControl })
        res.end(`v${mine}`)
      }, 50)
    }),
  )
  let locks = 0
  const tier = Object.assign(memoryStore(), {
    lock: (key: string, ttl: number) => {
      locks++
      return lock(key, ttl)
    },
  })
  const cache = createCache({ tiers: [tier] })
  const proxies = await Promise.all([0, 1].map(() => listen(createProxy({ origin: origin.base, cache, ...options }))))
  return {
    cache,
    hits: () => n,
    locks: () => locks,
    // The same Host through both, as behind one load balancer (Host is part of the key).
    get: (i, path) => request(proxies[i % 2]!.base, path, { headers: { host: 'site.test' } }),
    close: async () => {
      for (const p of proxies) await p.close()
      await origin.close()
      await cache.close()
    },
  }
}

const burst = (p: Pair, path: string, n: number) => Promise.all(Array.from({ length: n }, (_, i) => p.get(i, path)))

describe('coalescing across proxies through a lock', () => {
  it('concurrent misses through two proxies make one origin fetch', async () => {
    pair = await twoProxies(sharedLock(), 'max-age=60')
    const replies = await burst(pair, '/hot', 40)
    expect(pair.hits()).toBe(1)
    for (const r of replies) expect(r.body).toBe('v1')
    expect(replies.filter((r) => /stored/.test(status(r)))).toHaveLength(1)
    expect(replies.filter((r) => /collapsed/.test(status(r)))).toHaveLength(39)
    // Hits never touch the lock.
    const before = pair.locks()
    await burst(pair, '/hot', 10)
    expect(pair.locks()).toBe(before)
  })

  it('an uncacheable answer releases the other proxy at once; the next misses skip the lock', async () => {
    // A wait far beyond the test's timeout: waiting it out would fail the test.
    pair = await twoProxies(sharedLock(), 'private', { collapseWait: '60s' })
    const replies = await burst(pair, '/mine', 20)
    expect(pair.hits()).toBe(20)
    expect(new Set(replies.map((r) => r.body)).size).toBe(20)
    const again = await burst(pair, '/mine', 6)
    expect(again.every((r) => r.status === 200)).toBe(true)
    expect(pair.hits()).toBe(26)
  })

  it('a lock that fails degrades to fetching the origin', async () => {
    pair = await twoProxies(() => Promise.reject(new Error('lock tier down')), 'max-age=60')
    const replies = await burst(pair, '/x', 20)
    for (const r of replies) {
      expect(r.status).toBe(200)
      expect(r.body).toMatch(/^v[12]$/)
    }
    // Each proxy still coalesces its own clients.
    expect(pair.hits()).toBeLessThanOrEqual(2)
    expect(Object.values(pair.cache.stats().tierErrors).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
  })

  it('a lock held by a process that never stores: the wait runs out, then the origin is fetched', async () => {
    pair = await twoProxies(async () => undefined, 'max-age=60', { collapseWait: '100ms' })
    const replies = await burst(pair, '/y', 10)
    for (const r of replies) expect(r.status).toBe(200)
    expect(pair.hits()).toBeGreaterThanOrEqual(1)
    expect(pair.hits()).toBeLessThanOrEqual(2)
  })

  it('collapseWait: 0 takes no lock', async () => {
    pair = await twoProxies(sharedLock(), 'max-age=60', { collapseWait: 0 })
    await burst(pair, '/z', 10)
    expect(pair.locks()).toBe(0)
  })

  it('rejects a collapseWait that is not a finite duration', () => {
    expect(() => createProxy({ origin: 'http://127.0.0.1:1', collapseWait: 'soon' })).toThrow(/collapseWait/)
    expect(() => createProxy({ origin: 'http://127.0.0.1:1', collapseWait: Number.POSITIVE_INFINITY })).toThrow(
      /collapseWait/,
    )
  })
})
