/**
 * Route-cache defects found in review, each reproduced against real servers.
 */
import http from 'node:http'
import http2 from 'node:http2'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { serve } from '@hono/node-server'
import express from 'express'
import session from 'express-session'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { cached, cacheControl as expressCacheControl } from '../../src/express.js'
import { fastifyCache, cacheControl as fastifyCacheControl } from '../../src/fastify.js'
import { cacheControl as honoCacheControl, cached as honoCached } from '../../src/hono.js'
import { unsafeTags } from '../../src/http/route-cache/key.js'
import { pathTag } from '../../src/http.js'
import { createCache, manualClock, memoryStore } from '../../src/index.js'
import { fastifySessionStore } from '../../src/session.js'
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

describe('Fastify with a session plugin', () => {
  it('never stores a response carrying the session cookie @fastify/session sets in onSend', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const sessions = createCache({ tiers: [memoryStore()] })
    const app = Fastify()
    await app.register(fastifyCookie)
    await app.register(fastifySession, {
      secret: 'a-secret-with-at-least-32-characters!!',
      store: fastifySessionStore({ cache: sessions }),
      saveUninitialized: true,
      cookie: { secure: false },
    })
    await app.register(fastifyCache, { cache, ttl: '1m' })
    app.get('/home', { config: { cache: true } }, async () => 'home')
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const a = await request(base, '/home')
      expect(a.headers['set-cookie']).toBeDefined()
      const b = await request(base, '/home')
      expect(b.headers['cache-status']).not.toBe('cachestack; hit')
      expect(b.headers['set-cookie']).not.toEqual(a.headers['set-cookie'])
    } finally {
      await app.close()
      await cache.close()
      await sessions.close()
    }
  })
})

describe('a revalidating leader behind express-session', () => {
  it('does not store a response the session middleware set a cookie on', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    app.use(session({ secret: 'x'.repeat(32), resave: false, saveUninitialized: true }))
    let runs = 0
    app.get('/page', cached({ cache, ttl: '1m' }), (_req, res) => {
      runs++
      res.send('page')
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      const a = await request(base, '/page', { headers: { 'if-none-match': '"stale"' } })
      expect(a.headers['set-cookie']).toBeDefined()
      const etag = String(a.headers.etag)
      const b = await request(base, '/page', { headers: { 'if-none-match': etag } })
      expect(b.status).toBe(304)
      expect(b.headers['set-cookie']).toBeDefined()
      await request(base, '/page')
      expect(runs).toBe(3)
    } finally {
      await close()
      await cache.close()
    }
  })
})

describe('route grace as a fallback', () => {
  it('a handler that throws, and the requests waiting on it, get the stored response', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    const app = express()
    let runs = 0
    app.get('/p', cached({ cache, ttl: '1s', grace: '1h', clock }), async (_req, res, next) => {
      runs++
      if (runs === 1) {
        res.send('good')
        return
      }
      await new Promise((r) => setTimeout(r, 50))
      next(new Error('db down'))
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      expect((await request(base, '/p')).body).toBe('good')
      clock.advance('5s')
      const replies = await Promise.all(Array.from({ length: 5 }, () => request(base, '/p')))
      expect(replies.map((r) => `${r.status} ${r.body}`)).toEqual(Array(5).fill('200 good'))
      expect(runs).toBe(2)
      expect(replies.every((r) => /stale-if-error/.test(String(r.headers['cache-status'])))).toBe(true)
    } finally {
      await close()
      await cache.close()
    }
  })
})

describe('HTTP/2 (Fastify, h2c)', () => {
  it('keys on :authority, so two hosts never share an entry', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = Fastify({ http2: true })
    await app.register(fastifyCache, { cache, ttl: '1m' })
    app.get('/home', { config: { cache: true } }, async (req) => `site ${req.host}`)
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    const session = http2.connect(base)
    const get = (authority: string) =>
      new Promise<string>((resolve, reject) => {
        const s = session.request({ ':path': '/home', ':authority': authority })
        let body = ''
        s.setEncoding('utf8')
        s.on('data', (c: string) => {
          body += c
        })
        s.on('end', () => resolve(body))
        s.on('error', reject)
        s.end()
      })
    try {
      expect(await get('a.example')).toBe('site a.example')
      expect(await get('b.example')).toBe('site b.example')
      expect(await get('a.example')).toBe('site a.example')
      expect(await get('b.example')).toBe('site b.example')
    } finally {
      session.close()
      await app.close()
      await cache.close()
    }
  })
})

describe('route grace on Fastify and Hono', () => {
  it('Fastify: a thrown error within grace is answered with the stored response', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    const app = Fastify()
    await app.register(fastifyCache, { cache, ttl: '1s', grace: '1h', clock })
    let runs = 0
    app.get('/p', { config: { cache: true } }, async () => {
      runs++
      if (runs > 1) throw new Error('db down')
      return 'good'
    })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      expect((await request(base, '/p')).body).toBe('good')
      clock.advance('5s')
      const b = await request(base, '/p')
      expect(b.status).toBe(200)
      expect(b.body).toBe('good')
      expect(String(b.headers['cache-status'])).toContain('detail=stale-if-error')
    } finally {
      await app.close()
      await cache.close()
    }
  })

  it('Hono: a thrown error within grace is answered with the stored response', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    const app = new Hono()
    let runs = 0
    app.get('/p', honoCached({ cache, ttl: '1s', grace: '1h', clock }), (c) => {
      runs++
      if (runs > 1) throw new Error('db down')
      return c.text('good')
    })
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    try {
      expect((await request(base, '/p')).body).toBe('good')
      clock.advance('5s')
      const b = await request(base, '/p')
      expect(b.status).toBe(200)
      expect(b.body).toBe('good')
    } finally {
      server.close()
      await cache.close()
    }
  })
})

describe('cacheControl() and error responses', () => {
  const options = { public: true, maxAge: '1m', sMaxAge: '1h' } as const
  const value = 'public, max-age=60, s-maxage=3600'

  it('Express: a thrown error or a 500 is sent without it, a 200 with it, a handler override wins', async () => {
    const app = express()
    app.get('/ok', expressCacheControl(options), (_req, res) => {
      res.send('ok')
    })
    app.get('/own', expressCacheControl(options), (_req, res) => {
      res.set('cache-control', 'no-cache').send('own')
    })
    app.get('/throw', expressCacheControl(options), () => {
      throw new Error('boom')
    })
    app.get('/500', expressCacheControl(options), (_req, res) => {
      res.status(500).send('custom error')
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      expect((await request(base, '/ok')).headers['cache-control']).toBe(value)
      expect((await request(base, '/own')).headers['cache-control']).toBe('no-cache')
      const thrown = await request(base, '/throw')
      expect(thrown.status).toBe(500)
      expect(thrown.headers['cache-control']).toBeUndefined()
      expect((await request(base, '/500')).headers['cache-control']).toBeUndefined()
    } finally {
      await close()
    }
  })

  it('Fastify: a thrown error is sent without it, a 200 with it', async () => {
    const app = Fastify()
    app.get('/ok', { onRequest: fastifyCacheControl(options) }, async () => 'ok')
    app.get('/throw', { onRequest: fastifyCacheControl(options) }, async () => {
      throw new Error('boom')
    })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      expect((await request(base, '/ok')).headers['cache-control']).toBe(value)
      const thrown = await request(base, '/throw')
      expect(thrown.status).toBe(500)
      expect(thrown.headers['cache-control']).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('Hono: a thrown error is sent without it, a 200 with it', async () => {
    const app = new Hono()
    app.onError((_err, c) => c.text('error', 500))
    app.get('/ok', honoCacheControl(options), (c) => c.text('ok'))
    app.get('/throw', honoCacheControl(options), () => {
      throw new Error('boom')
    })
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    try {
      expect((await request(base, '/ok')).headers['cache-control']).toBe(value)
      const thrown = await request(base, '/throw')
      expect(thrown.status).toBe(500)
      expect(thrown.headers['cache-control']).toBeUndefined()
    } finally {
      server.close()
    }
  })
})

describe('unsafeTags (RFC 9111 §4.4)', () => {
  it('adds Location and Content-Location on the same host, never another host', () => {
    expect(unsafeTags('/items?x=1', 'shop.example', '/items/42', undefined)).toEqual([
      pathTag('/items'),
      pathTag('/items/42'),
    ])
    expect(unsafeTags('/items', 'shop.example', 'https://shop.example/items/43?a=b', 'other')).toEqual([
      pathTag('/items'),
      pathTag('/items/43'),
      pathTag('/other'),
    ])
    expect(unsafeTags('/items', 'shop.example', 'https://evil.example/items/1', undefined)).toEqual([pathTag('/items')])
  })
})
