import { createServer } from 'node:http'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { type ManualClock, manualClock } from '../../src/index.js'
import {
  expressRateLimit,
  fastifyRateLimit,
  honoRateLimit,
  nodeRateLimit,
  type RateLimiter,
  rateLimit,
} from '../../src/ratelimit.js'
import { listen, type Running } from '../session/helpers.js'

type Opts = { json?: boolean; keyHeader?: boolean; legacy?: boolean }
type Start = (limiter: RateLimiter, opts?: Opts) => Promise<Running>

const keyFrom = (h: string | string[] | undefined) => (typeof h === 'string' ? h : 'anonymous')

const servers: Record<string, Start> = {
  'node:http': (limiter, opts = {}) => {
    const guard = nodeRateLimit(limiter, {
      ...(opts.json ? { message: { error: 'slow down' } } : {}),
      ...(opts.legacy ? { legacyHeaders: true } : {}),
      ...(opts.keyHeader ? { key: (req) => keyFrom(req.headers['x-user']) } : {}),
      skip: (req) => req.url === '/health',
    })
    return listen(
      createServer(async (req, res) => {
        if (!(await guard(req, res))) return
        res.end('ok')
      }),
    )
  },
  Express: (limiter, opts = {}) => {
    const app = express()
    app.use(
      expressRateLimit(limiter, {
        ...(opts.json ? { message: { error: 'slow down' } } : {}),
        ...(opts.legacy ? { legacyHeaders: true } : {}),
        ...(opts.keyHeader ? { key: (req) => keyFrom(req.headers['x-user']) } : {}),
        skip: (req) => req.path === '/health',
      }),
    )
    app.get('/{*any}', (_req, res) => {
      res.send('ok')
    })
    return listen(createServer(app))
  },
  Fastify: async (limiter, opts = {}) => {
    const app = Fastify()
    app.addHook(
      'onRequest',
      fastifyRateLimit(limiter, {
        ...(opts.json ? { message: { error: 'slow down' } } : {}),
        ...(opts.legacy ? { legacyHeaders: true } : {}),
        ...(opts.keyHeader ? { key: (req) => keyFrom(req.headers['x-user']) } : {}),
        skip: (req) => req.url === '/health',
      }),
    )
    app.get('/*', async () => 'ok')
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { url, close: () => app.close() }
  },
  Hono: (limiter, opts = {}) => {
    const app = new Hono()
    app.use(
      honoRateLimit(limiter, {
        ...(opts.json ? { message: { error: 'slow down' } } : {}),
        ...(opts.legacy ? { legacyHeaders: true } : {}),
        ...(opts.keyHeader ? { key: (c) => keyFrom(c.req.header('x-user')) } : {}),
        skip: (c) => new URL(c.req.url).pathname === '/health',
      }),
    )
    app.get('*', (c) => c.text('ok'))
    return new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () => new Promise<void>((done) => server.close(() => done())),
        })
      })
    })
  },
}

const open: Running[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

for (const [framework, start] of Object.entries(servers)) {
  describe(`${framework} middleware`, () => {
    let clock: ManualClock
    async function server(options: Parameters<typeof rateLimit>[0], opts?: Opts) {
      clock = manualClock()
      const s = await start(rateLimit({ clock, ...options }), opts)
      open.push(s)
      return s
    }

    it('admits the limit, then answers 429 with Retry-After and the IETF headers', async () => {
      const { url } = await server({ limit: 2, window: '1m' })
      const first = await fetch(`${url}/a`)
      expect(first.status).toBe(200)
      expect(await first.text()).toBe('ok')
      expect(first.headers.get('ratelimit-policy')).toBe('"default";q=2;w=60')
      expect(first.headers.get('ratelimit')).toBe('"default";r=1;t=60')
      expect(first.headers.get('retry-after')).toBe(null)
      clock.advance('20s')
      const second = await fetch(`${url}/b`)
      expect(second.headers.get('ratelimit')).toBe('"default";r=0;t=40')
      const third = await fetch(`${url}/c`)
      expect(third.status).toBe(429)
      expect(await third.text()).toBe('Too Many Requests')
      expect(third.headers.get('retry-after')).toBe('40')
      expect(third.headers.get('ratelimit')).toBe('"default";r=0;t=40')
      expect(third.headers.get('ratelimit-policy')).toBe('"default";q=2;w=60')
      clock.advance('40s')
      expect((await fetch(`${url}/d`)).status).toBe(200)
    })

    it('token bucket headers: remaining tokens, seconds to full, Retry-After to the next token', async () => {
      const { url } = await server({ limit: 10, window: '10s', algorithm: 'token-bucket', name: 'api' })
      for (let i = 0; i < 10; i++) expect((await fetch(url)).status).toBe(200)
      const refused = await fetch(url)
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('1')
      expect(refused.headers.get('ratelimit')).toBe('"api";r=0;t=10')
      expect(refused.headers.get('ratelimit-policy')).toBe('"api";q=10;w=10')
      clock.advance('2500ms')
      const ok = await fetch(url)
      expect(ok.status).toBe(200)
      expect(ok.headers.get('ratelimit')).toBe('"api";r=1;t=9')
    })

    it('counts each key apart, skips what it is told to, and sends a JSON message', async () => {
      const { url } = await server({ limit: 1, window: '1h' }, { json: true, keyHeader: true })
      expect((await fetch(url, { headers: { 'x-user': 'ada' } })).status).toBe(200)
      expect((await fetch(url, { headers: { 'x-user': 'bob' } })).status).toBe(200)
      const refused = await fetch(url, { headers: { 'x-user': 'ada' } })
      expect(refused.status).toBe(429)
      expect(refused.headers.get('content-type')).toMatch(/application\/json/)
      expect(await refused.json()).toEqual({ error: 'slow down' })
      const health = await fetch(`${url}/health`, { headers: { 'x-user': 'ada' } })
      expect(health.status).toBe(200)
      expect(health.headers.get('ratelimit')).toBe(null)
    })

    it('sends the X-RateLimit-* headers when asked', async () => {
      const { url } = await server({ limit: 3, window: '1m' }, { legacy: true })
      const before = Date.now()
      const res = await fetch(url)
      expect(res.headers.get('x-ratelimit-limit')).toBe('3')
      expect(res.headers.get('x-ratelimit-remaining')).toBe('2')
      const reset = Number(res.headers.get('x-ratelimit-reset'))
      expect(reset).toBeGreaterThanOrEqual(Math.floor((before + 60_000) / 1000))
      expect(reset).toBeLessThanOrEqual(Math.ceil((Date.now() + 60_000) / 1000))
    })

    it("uses the limiter's own key function when the middleware has none", async () => {
      const { url } = await server({ limit: 1, window: '1h', key: (req) => keyFrom(req.headers['x-user']) })
      expect((await fetch(url, { headers: { 'x-user': 'ada' } })).status).toBe(200)
      expect((await fetch(url, { headers: { 'x-user': 'bob' } })).status).toBe(200)
      expect((await fetch(url, { headers: { 'x-user': 'ada' } })).status).toBe(429)
    })

    it('counts by client address by default', async () => {
      const { url } = await server({ limit: 1, window: '1h' })
      expect((await fetch(url, { headers: { 'x-user': 'ada' } })).status).toBe(200)
      expect((await fetch(url, { headers: { 'x-user': 'bob' } })).status).toBe(429)
    })
  })
}
