/**
 * cachedFetch defects found in review, reproduced against a real origin.
 */
import http from 'node:http'
import { describe, expect, it } from 'vitest'
import { cachedFetch } from '../../src/http.js'
import { createCache, manualClock, memoryStore } from '../../src/index.js'
import { listen } from './helpers.js'

describe('cachedFetch coalescing and aborts', () => {
  it('one caller aborting does not fail the others waiting on the same fetch', async () => {
    let hits = 0
    const server = http.createServer((_req, res) => {
      hits++
      setTimeout(() => {
        res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' })
        res.end('shared')
      }, 100)
    })
    const { base, close } = await listen(server)
    const cache = createCache({ tiers: [memoryStore()] })
    try {
      const f = cachedFetch({ cache })
      const ac = new AbortController()
      const a = f(`${base}/x`, { signal: ac.signal })
      const b = f(`${base}/x`)
      setTimeout(() => ac.abort(), 20)
      const [ra, rb] = await Promise.allSettled([a, b])
      expect(ra.status).toBe('rejected')
      expect(rb.status).toBe('fulfilled')
      if (rb.status === 'fulfilled') expect(await rb.value.text()).toBe('shared')
      expect(hits).toBe(1)
    } finally {
      await close()
      await cache.close()
    }
  })
})

describe('cachedFetch and the Fetch standard cache modes', () => {
  it("honours cache: 'no-store', 'reload', 'no-cache' and 'force-cache'", async () => {
    let n = 0
    const server = http.createServer((req, res) => {
      n++
      if (req.headers['if-none-match'] === '"e1"') {
        res.writeHead(304, { 'cache-control': 'max-age=1', etag: '"e1"' })
        res.end()
        return
      }
      res.writeHead(200, { 'cache-control': 'max-age=1', etag: `"e${n}"`, 'content-type': 'text/plain' })
      res.end(`v${n}`)
    })
    const { base, close } = await listen(server)
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    try {
      const f = cachedFetch({ cache, clock })
      expect(await (await f(`${base}/a`)).text()).toBe('v1')
      // no-store: straight to the origin, nothing read or stored.
      expect(await (await f(`${base}/a`, { cache: 'no-store' })).text()).toBe('v2')
      expect(await (await f(`${base}/a`)).text()).toBe('v1')
      expect(n).toBe(2)
      // no-cache: revalidated with the stored validator (a 304 keeps v1).
      expect(await (await f(`${base}/a`, { cache: 'no-cache' })).text()).toBe('v1')
      expect(n).toBe(3)
      // force-cache: a stale stored response is used as it is.
      clock.advance('10s')
      expect(await (await f(`${base}/a`, { cache: 'force-cache' })).text()).toBe('v1')
      expect(n).toBe(3)
      // reload: fetched anew, and what comes back is stored.
      expect(await (await f(`${base}/a`, { cache: 'reload' })).text()).toBe('v4')
      expect(await (await f(`${base}/a`)).text()).toBe('v4')
      expect(n).toBe(4)
    } finally {
      await close()
      await cache.close()
    }
  })
})
