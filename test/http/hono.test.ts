import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { cached } from '../../src/hono.js'
import { createCache, memoryStore } from '../../src/index.js'
import { request } from './helpers.js'
import { runRouteSuite } from './route-suite.js'

async function start(app: Hono): Promise<{ base: string; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        base: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            ;(server as import('node:http').Server).closeAllConnections?.()
            server.close(() => done())
          }),
      })
    })
  })
}

runRouteSuite('Hono', async (options, handler) => {
  const app = new Hono()
  // biome-ignore lint/suspicious/noExplicitAny: the suite passes options for every adapter
  app.use(cached(options as any))
  app.all('*', async (c) => {
    const headers: Record<string, string> = {}
    c.req.raw.headers.forEach((v, k) => {
      headers[k] = v
    })
    const u = new URL(c.req.url)
    const out = await handler({ method: c.req.method, url: u.pathname + u.search, headers })
    const h = new Headers()
    for (const [k, v] of Object.entries(out.headers ?? {})) for (const one of [v].flat()) h.append(k, one)
    const body =
      typeof out.body === 'string'
        ? out.body
        : new ReadableStream<Uint8Array>({
            start(controller) {
              for (const chunk of out.body as string[]) controller.enqueue(new TextEncoder().encode(chunk))
              controller.close()
            },
          })
    return new Response(body, { status: out.status ?? 200, headers: h })
  })
  return start(app)
})

describe('Hono specifics', () => {
  it('caches c.json responses per route', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = new Hono()
    let runs = 0
    app.get('/products', cached({ cache, ttl: '1m' }), (c) => c.json({ n: ++runs }))
    const { base, close } = await start(app)
    try {
      await request(base, '/products')
      const hit = await request(base, '/products')
      expect(JSON.parse(hit.body)).toEqual({ n: 1 })
      expect(hit.headers['content-type']).toMatch(/application\/json/)
      expect(hit.headers['cache-status']).toBe('cachestack; hit')
    } finally {
      await close()
    }
  })
})
