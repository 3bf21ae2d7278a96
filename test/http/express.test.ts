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

describe('Express with a compression layer in front', () => {
  it('stores the identity body, and compression still applies to hits', async () => {
    const { gzipSync, gunzipSync } = await import('node:zlib')
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    // a minimal gzip middleware, registered before the route cache as compression() would be
    app.use((req, res, next) => {
      if (!/gzip/.test(String(req.headers['accept-encoding']))) return next()
      const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => typeof res
      const end = res.end.bind(res) as (...a: unknown[]) => typeof res
      res.writeHead = ((status: number, headers?: unknown) => {
        // as on-headers does: headers given to writeHead become set headers first
        if (Array.isArray(headers))
          for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i], headers[i + 1])
        res.setHeader('content-encoding', 'gzip')
        res.setHeader('vary', 'accept-encoding')
        res.removeHeader('content-length')
        return writeHead(status)
      }) as typeof res.writeHead
      res.end = ((chunk?: unknown) => {
        const body = chunk === undefined ? Buffer.alloc(0) : gzipSync(Buffer.from(chunk as string))
        if (!res.headersSent) res.writeHead(res.statusCode)
        return end(body)
      }) as typeof res.end
      next()
    })
    let runs = 0
    app.get('/doc', cached({ cache, ttl: '1m' }), (_req, res) => {
      runs++
      res.type('text').send('hello world')
    })
    const { base, close } = await listen(http.createServer(app))
    const raw = (headers: Record<string, string>) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get(`${base}/doc`, { headers }, (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }))
          })
          .on('error', reject)
      })
    try {
      const first = await raw({ 'accept-encoding': 'gzip' })
      expect(gunzipSync(first.body).toString()).toBe('hello world')
      const plain = await raw({})
      expect(plain.headers['content-encoding']).toBeUndefined()
      expect(plain.body.toString()).toBe('hello world')
      const gz = await raw({ 'accept-encoding': 'gzip' })
      expect(gz.headers['content-encoding']).toBe('gzip')
      expect(gunzipSync(gz.body).toString()).toBe('hello world')
      // the layer below added Vary: Accept-Encoding, so each encoding is its own variant
      expect((await raw({})).body.toString()).toBe('hello world')
      expect(runs).toBe(2)
    } finally {
      await close()
    }
  })
})

describe('fragment caching in a per-user page', () => {
  it('renders a shared fragment once and invalidates it by tag, while the page stays per user', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    let renders = 0
    const app = express()
    app.get('/', async (req, res) => {
      const sidebar = await cache.fragment('sidebar', () => `<nav>categories v${++renders}</nav>`, {
        ttl: '10m',
        tags: ['categories'],
      })
      res.send(`<p>hello ${String(req.headers['x-user'])}</p>${sidebar}`)
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      expect((await request(base, '/', { headers: { 'x-user': 'ann' } })).body).toBe(
        '<p>hello ann</p><nav>categories v1</nav>',
      )
      expect((await request(base, '/', { headers: { 'x-user': 'bob' } })).body).toBe(
        '<p>hello bob</p><nav>categories v1</nav>',
      )
      await cache.invalidateTags(['categories'])
      expect((await request(base, '/', { headers: { 'x-user': 'bob' } })).body).toBe(
        '<p>hello bob</p><nav>categories v2</nav>',
      )
    } finally {
      await close()
    }
  })
})

describe('headers set by outer middleware', () => {
  it('are this request’s on a hit (CORS origin, request id), not the stored response’s', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    let id = 0
    app.use((req, res, next) => {
      res.setHeader('x-request-id', String(++id))
      if (req.headers.origin !== undefined) res.setHeader('access-control-allow-origin', req.headers.origin)
      next()
    })
    app.get('/api', cached({ cache, ttl: '1m' }), (_req, res) => {
      res.json({ ok: true })
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      const a = await request(base, '/api', { headers: { origin: 'https://a.example' } })
      expect(a.headers['access-control-allow-origin']).toBe('https://a.example')
      const b = await request(base, '/api', { headers: { origin: 'https://b.example' } })
      expect(b.headers['cache-status']).toBe('cachestack; hit')
      expect(b.headers['access-control-allow-origin']).toBe('https://b.example')
      expect(b.headers['x-request-id']).toBe('2')
      const none = await request(base, '/api')
      expect(none.headers['access-control-allow-origin']).toBeUndefined()
      expect(none.headers['x-powered-by']).toBe('Express')
    } finally {
      await close()
    }
  })
})
