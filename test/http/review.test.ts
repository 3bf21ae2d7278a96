/**
 * Route-cache defects found in review, each reproduced against real servers.
 */
import http from 'node:http'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { cached } from '../../src/express.js'
import { createCache, memoryStore } from '../../src/index.js'
import { listen, request } from './helpers.js'

describe('conditional requests on a miss', () => {
  it('a revalidating client (If-None-Match) on a miss still fills the cache', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    let runs = 0
    app.get('/page', cached({ cache, ttl: '1m', tags: ['page'] }), (_req, res) => {
      runs++
      res.send('<h1>page</h1>')
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      const first = await request(base, '/page')
      const etag = String(first.headers.etag)
      await cache.invalidateTags(['page'])
      // Every browser that saw the page revalidates with its ETag.
      const revalidated = await request(base, '/page', { headers: { 'if-none-match': etag } })
      expect(revalidated.status).toBe(304)
      const next = await request(base, '/page', { headers: { 'if-none-match': etag } })
      expect(next.status).toBe(304)
      const plain = await request(base, '/page')
      expect(plain.body).toBe('<h1>page</h1>')
      expect(plain.headers['cache-status']).toBe('cachestack; hit')
      expect(runs).toBe(2)
    } finally {
      await close()
      await cache.close()
    }
  })
})

describe('repeated header fields on a hit', () => {
  it('keeps every Link line when outer middleware has set headers (Express X-Powered-By)', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    app.get('/page', cached({ cache, ttl: '1m' }), (_req, res) => {
      res.append('link', '</a.css>; rel=preload; as=style')
      res.append('link', '</b.js>; rel=preload; as=script')
      res.send('page')
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      const miss = await request(base, '/page')
      const hit = await request(base, '/page')
      expect(hit.headers['cache-status']).toBe('cachestack; hit')
      expect(hit.headers.link).toBe(miss.headers.link)
      expect(hit.headers.link).toContain('a.css')
      expect(hit.headers.link).toContain('b.js')
    } finally {
      await close()
      await cache.close()
    }
  })
})
