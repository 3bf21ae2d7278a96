import { Readable } from 'node:stream'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { fastifyCache } from '../../src/fastify.js'
import { createCache, memoryStore } from '../../src/index.js'
import { request } from './helpers.js'
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
