import { Readable } from 'node:stream'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { fastifyCache } from '../../src/fastify.js'
import { createCache, memoryStore } from '../../src/index.js'
import { request, sleep } from './helpers.js'
import { runRouteSuite } from './route-suite.js'

runRouteSuite('Fastify', async (options, handler) => {
  const app = Fastify()
  const { cache, ...rest } = options
  // biome-ignore lint/suspicious/noExplicitAny: the suite passes options for every adapter
  await app.register(fastifyCache, { cache } as any)
  const route = async (
    req: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
    reply: import('fastify').FastifyReply,
  ) => {
    const out = await handler({ method: req.method, url: req.url, headers: req.headers })
    reply.code(out.status ?? 200)
    for (const [k, v] of Object.entries(out.headers ?? {})) reply.header(k, v)
    return typeof out.body === 'string' ? out.body : reply.send(Readable.from(out.body))
  }
  // biome-ignore lint/suspicious/noExplicitAny: the suite passes options for every adapter
  app.route({ method: ['GET', 'POST'], url: '/*', config: { cache: rest as any }, handler: route })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { base: address, close: () => app.close() }
})

describe('Fastify specifics', () => {
  it('caches only the routes that opt in, with plugin defaults', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = Fastify()
    await app.register(fastifyCache, { cache, ttl: '1m' })
    let runs = 0
    app.get('/cached', { config: { cache: true } }, async () => ({ n: ++runs }))
    app.get('/plain', async () => ({ n: ++runs }))
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      await request(base, '/cached')
      const hit = await request(base, '/cached')
      expect(JSON.parse(hit.body)).toEqual({ n: 1 })
      expect(hit.headers['content-type']).toMatch(/application\/json/)
      expect(hit.headers['cache-status']).toBe('cachestack; hit')
      await request(base, '/plain')
      const plain = await request(base, '/plain')
      expect(JSON.parse(plain.body)).toEqual({ n: 3 })
      expect(plain.headers['cache-status']).toBeUndefined()
    } finally {
      await app.close()
    }
  })
})

describe('Fastify: headers set by earlier hooks', () => {
  it('are this request’s on a hit', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = Fastify()
    let id = 0
    app.addHook('onRequest', (req, reply, done) => {
      reply.header('x-request-id', String(++id))
      if (req.headers.origin !== undefined) reply.header('access-control-allow-origin', req.headers.origin)
      done()
    })
    await app.register(fastifyCache, { cache, ttl: '1m' })
    app.get('/api', { config: { cache: true } }, async () => ({ ok: true }))
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      await request(base, '/api', { headers: { origin: 'https://a.example' } })
      const b = await request(base, '/api', { headers: { origin: 'https://b.example' } })
      expect(b.headers['cache-status']).toBe('cachestack; hit')
      expect(b.headers['access-control-allow-origin']).toBe('https://b.example')
      expect(b.headers['x-request-id']).toBe('2')
      expect((await request(base, '/api')).headers['access-control-allow-origin']).toBeUndefined()
    } finally {
      await app.close()
    }
  })
})

describe('Fastify: invalidation after unsafe methods follows the route’s own options', () => {
  /** Polls `path` until its body differs from `before` (the invalidation runs when the POST's response finishes). */
  async function changed(base: string, path: string, before: string): Promise<string> {
    let body = (await request(base, path)).body
    for (let i = 0; i < 50 && body === before; i++) {
      await sleep(5)
      body = (await request(base, path)).body
    }
    return body
  }

  it('invalidates in the route’s own cache, not only the plugin’s', async () => {
    const pluginCache = createCache({ tiers: [memoryStore()] })
    const routeCache = createCache({ tiers: [memoryStore()] })
    const app = Fastify()
    await app.register(fastifyCache, { cache: pluginCache, ttl: '1m' })
    let runs = 0
    app.route({
      method: ['GET', 'POST'],
      url: '/own',
      config: { cache: { cache: routeCache } },
      handler: async () => ({ n: ++runs }),
    })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const a = (await request(base, '/own')).body
      expect((await request(base, '/own')).body).toBe(a)
      expect((await request(base, '/own', { method: 'POST' })).status).toBe(200)
      const b = await changed(base, '/own', a)
      expect(b).not.toBe(a)
    } finally {
      await app.close()
    }
  })

  it('a route may turn invalidation on when the plugin turns it off, and off when the plugin leaves it on', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const off = Fastify()
    await off.register(fastifyCache, { cache, ttl: '1m', invalidateOnUnsafe: false })
    let runs = 0
    const handler = async () => ({ n: ++runs })
    off.route({ method: ['GET', 'POST'], url: '/on', config: { cache: { invalidateOnUnsafe: true } }, handler })
    const on = Fastify()
    await on.register(fastifyCache, { cache, ttl: '1m' })
    on.route({ method: ['GET', 'POST'], url: '/off', config: { cache: { invalidateOnUnsafe: false } }, handler })
    // A POST-only route without config.cache follows the plugin's default (on).
    on.get('/plain-get', { config: { cache: true } }, handler)
    on.post('/plain-get', async () => ({ posted: true }))
    const offBase = await off.listen({ port: 0, host: '127.0.0.1' })
    const onBase = await on.listen({ port: 0, host: '127.0.0.1' })
    try {
      const kept = (await request(onBase, '/off')).body
      const a = (await request(offBase, '/on')).body
      const p = (await request(onBase, '/plain-get')).body
      expect((await request(onBase, '/off', { method: 'POST' })).status).toBe(200)
      expect((await request(offBase, '/on', { method: 'POST' })).status).toBe(200)
      expect(await changed(offBase, '/on', a)).not.toBe(a)
      expect((await request(onBase, '/plain-get', { method: 'POST' })).status).toBe(200)
      expect(await changed(onBase, '/plain-get', p)).not.toBe(p)
      // /off's POST finished before the others began: had it invalidated, that would have run by now.
      const again = await request(onBase, '/off')
      expect(again.body).toBe(kept)
      expect(again.headers['cache-status']).toBe('cachestack; hit')
    } finally {
      await off.close()
      await on.close()
    }
  })
})
