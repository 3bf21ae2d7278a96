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
      expect(await (await f(`${base}/a`, { cache: 'no-store' } as RequestInit)).text()).toBe('v2')
      expect(await (await f(`${base}/a`)).text()).toBe('v1')
      expect(n).toBe(2)
      // no-cache: revalidated with the stored validator (a 304 keeps v1).
      expect(await (await f(`${base}/a`, { cache: 'no-cache' } as RequestInit)).text()).toBe('v1')
      expect(n).toBe(3)
      // force-cache: a stale stored response is used as it is.
      clock.advance('10s')
      expect(await (await f(`${base}/a`, { cache: 'force-cache' } as RequestInit)).text()).toBe('v1')
      expect(n).toBe(3)
      // reload: fetched anew, and what comes back is stored.
      expect(await (await f(`${base}/a`, { cache: 'reload' } as RequestInit)).text()).toBe('v4')
      expect(await (await f(`${base}/a`)).text()).toBe('v4')
      expect(n).toBe(4)
    } finally {
      await close()
      await cache.close()
    }
  })
})

describe('cachedFetch and bodies over maxBodySize', () => {
  it('streams a large body to the caller instead of buffering it whole', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const server = http.createServer(async (_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'application/octet-stream' })
      res.write(Buffer.alloc(64 * 1024, 1))
      // The origin finishes only once the caller has read the first bytes: a
      // client that waits for the whole body before answering never gets here.
      await released
      res.end(Buffer.alloc(64 * 1024, 2))
    })
    const { base, close } = await listen(server)
    const cache = createCache({ tiers: [memoryStore()] })
    try {
      const f = cachedFetch({ cache, maxBodySize: '16kb' })
      const res = await f(`${base}/big`)
      expect(res.status).toBe(200)
      const reader = res.body!.getReader()
      let size = 0
      const first = await reader.read()
      size += first.value!.byteLength
      release()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        size += value.byteLength
      }
      expect(size).toBe(128 * 1024)
      expect(res.headers.get('cache-status')).toContain('too-large')
    } finally {
      release()
      await close()
      await cache.close()
    }
  })
})

describe('cachedFetch: coalesced callers of a body over maxBodySize', () => {
  it('each gets the whole body (the stream goes to one, the others fetch on their own)', async () => {
    let hits = 0
    const server = http.createServer((_req, res) => {
      hits++
      setTimeout(() => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        res.end(Buffer.alloc(40 * 1024, 7))
      }, 50)
    })
    const { base, close } = await listen(server)
    const cache = createCache({ tiers: [memoryStore()] })
    try {
      const f = cachedFetch({ cache, maxBodySize: '16kb' })
      const sizes = await Promise.all(
        Array.from({ length: 3 }, async () => (await (await f(`${base}/big`)).arrayBuffer()).byteLength),
      )
      expect(sizes).toEqual([40 * 1024, 40 * 1024, 40 * 1024])
      expect(hits).toBe(3)
    } finally {
      await close()
      await cache.close()
    }
  })
})
