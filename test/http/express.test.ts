import http from 'node:http'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { cached } from '../../src/express.js'
import { createCache, memoryStore } from '../../src/index.js'
import { listen, request } from './helpers.js'
import { runRouteSuite } from './route-suite.js'

runRouteSuite('Express', async (options, handler) => {
  const app = express()
  // biome-ignore lint/suspicious/noExplicitAny: the suite passes options for every adapter
  app.use(cached(options as any))
  app.use(async (req, res) => {
    const out = await handler({ method: req.method, url: req.originalUrl, headers: req.headers })
    res.status(out.status ?? 200)
    for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v)
    if (typeof out.body === 'string') res.send(out.body)
    else {
      for (const chunk of out.body) res.write(chunk)
      res.end()
    }
  })
  return listen(http.createServer(app))
})

describe('Express specifics', () => {
  it('keys on originalUrl, so routers mounted at different paths never share entries', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    for (const prefix of ['/a', '/b']) {
      const router = express.Router()
      router.get('/list', cached({ cache, ttl: '1m' }), (_req, res) => {
        res.json({ from: prefix })
      })
      app.use(prefix, router)
    }
    const { base, close } = await listen(http.createServer(app))
    try {
      expect(JSON.parse((await request(base, '/a/list')).body)).toEqual({ from: '/a' })
      expect(JSON.parse((await request(base, '/b/list')).body)).toEqual({ from: '/b' })
      const hit = await request(base, '/b/list')
      expect(JSON.parse(hit.body)).toEqual({ from: '/b' })
      expect(hit.headers['cache-status']).toBe('cachestack; hit')
    } finally {
      await close()
    }
  })

  it('stores res.json with its content type and answers its ETag with 304', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    let runs = 0
    app.get('/products', cached({ cache, ttl: '1m', tags: ['products'] }), (_req, res) => {
      runs++
      res.json([{ id: 1 }])
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      const a = await request(base, '/products')
      const b = await request(base, '/products')
      expect(b.headers['content-type']).toMatch(/application\/json/)
      expect(b.headers.etag).toBe(a.headers.etag)
      expect((await request(base, '/products', { headers: { 'if-none-match': String(a.headers.etag) } })).status).toBe(
        304,
      )
      await cache.invalidateTags(['products'])
      await request(base, '/products')
      expect(runs).toBe(2)
    } finally {
      await close()
    }
  })
})
