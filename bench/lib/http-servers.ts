/**
 * The servers bench/http.ts measures, one per child process (argv[2] names it),
 * so the load generator and the server each have a core. Prints `READY <port>`.
 *
 * The route: takes 20 ms to "render" a 2 KB JSON document.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import apicache from 'apicache'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { cached as expressCached } from '../../src/express.js'
import { fastifyCache } from '../../src/fastify.js'
import { cached as honoCached } from '../../src/hono.js'
import { cacheHandler } from '../../src/http.js'
import { createCache, memoryStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'

const doc = {
  items: Array.from({ length: 20 }, (_, i) => ({
    id: i,
    name: `Product ${i}`,
    description: 'A fine product, well made and fairly priced.',
    price: 9.99 + i,
  })),
}
const body = JSON.stringify(doc)
const render = () => new Promise<typeof doc>((resolve) => setTimeout(() => resolve(doc), 20))
const PATH = '/api/products'
/** The bench reads the server's CPU time here, to report CPU per request (robust on a shared machine). */
const CPU = '/__cpu'
const cpu = () => {
  const u = process.cpuUsage()
  return JSON.stringify({ us: u.user + u.system })
}

async function expressApp(kind: string) {
  const app = express()
  app.get(CPU, (_req, res) => {
    res.send(cpu())
  })
  app.set('etag', false) // the same for every contender: Express's own per-response hashing is not what is measured
  if (kind === 'express-cachestack-memory') {
    const cache = createCache({ tiers: [memoryStore()] })
    app.get(PATH, expressCached({ cache, ttl: '1h' }))
  } else if (kind === 'express-cachestack-redis') {
    const cache = createCache({
      tiers: [
        redisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:16379', prefix: `cs-bench-${process.pid}:` }),
      ],
    })
    app.get(PATH, expressCached({ cache, ttl: '1h' }))
  } else if (kind === 'express-apicache') {
    app.get(PATH, apicache.middleware('1 hour'))
  } else if (kind === 'express-map') {
    // The ceiling: the least a cache can do in Express. No TTL, no safety, no headers beyond the type.
    const map = new Map<string, string>()
    app.get(PATH, (req, res, next) => {
      const hit = map.get(req.originalUrl)
      if (hit !== undefined) {
        res.type('json').send(hit)
        return
      }
      const json = res.json.bind(res)
      res.json = (value: unknown) => {
        const s = JSON.stringify(value)
        map.set(req.originalUrl, s)
        res.type('json')
        return json === undefined ? res : res.send(s)
      }
      next()
    })
  }
  app.get(PATH, async (_req, res) => {
    res.json(await render())
  })
  return http.createServer(app)
}

async function fastifyApp(kind: string) {
  const app = Fastify()
  app.get(CPU, async () => cpu())
  if (kind === 'fastify-cachestack') {
    await app.register(fastifyCache, { cache: createCache({ tiers: [memoryStore()] }), ttl: '1h' })
  } else if (kind === 'fastify-caching') {
    const caching = (await import('@fastify/caching')).default
    await app.register(caching, { privacy: 'public', expiresIn: 3600 })
  } else if (kind === 'fastify-map') {
    const map = new Map<string, string>()
    app.addHook('onRequest', (req, reply, done) => {
      if (req.url === CPU) return done()
      const hit = map.get(req.url)
      if (hit !== undefined) {
        reply.type('application/json').send(hit)
        return
      }
      done()
    })
    app.addHook('onSend', (req, _reply, payload, done) => {
      if (typeof payload === 'string' && req.url !== CPU) map.set(req.url, payload)
      done(null, payload)
    })
  }
  app.get(PATH, { config: { cache: kind === 'fastify-cachestack' } }, async () => render())
  await app.ready()
  return app.server
}

function withCpu(listener: http.RequestListener): http.Server {
  return http.createServer((req, res) => {
    if (req.url === CPU) res.end(cpu())
    else listener(req, res)
  })
}

function nodeApp(kind: string) {
  if (kind === 'node-bare') {
    // A bare node:http server answering a constant body: the target's baseline.
    const buf = Buffer.from(body)
    return withCpu((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': buf.byteLength })
      res.end(buf)
    })
  }
  const cache = createCache({ tiers: [memoryStore()] })
  return withCpu(
    cacheHandler(
      (_req, res) => {
        void render().then((d) => {
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify(d))
        })
      },
      { cache, ttl: '1h' },
    ),
  )
}

function honoApp(kind: string) {
  const app = new Hono()
  app.get(CPU, (c) => c.body(cpu()))
  if (kind === 'hono-bare') app.get(PATH, (c) => c.body(body, 200, { 'content-type': 'application/json' }))
  else {
    app.get(PATH, honoCached({ cache: createCache({ tiers: [memoryStore()] }), ttl: '1h' }), async (c) =>
      c.json(await render()),
    )
  }
  return app
}

const kind = process.argv[2] ?? ''
let port: number
if (kind.startsWith('hono-')) {
  port = await new Promise<number>((resolve) => {
    serve({ fetch: honoApp(kind).fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port))
  })
} else {
  const server = kind.startsWith('express-')
    ? await expressApp(kind)
    : kind.startsWith('fastify-')
      ? await fastifyApp(kind)
      : nodeApp(kind)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
}
console.log(`READY ${port}`)
