/**
 * cachedFetch defects found in review, reproduced against a real origin.
 */
import http from 'node:http'
import { describe, expect, it } from 'vitest'
import { cachedFetch } from '../../src/http.js'
import { createCache, memoryStore } from '../../src/index.js'
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
