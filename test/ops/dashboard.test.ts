import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import { type DashboardSnapshot, dashboard, serveDashboard } from '../../src/dashboard.js'
import { type Cache, createCache, memoryStore } from '../../src/index.js'

const TOKEN = 'a-long-enough-token'
const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

async function seeded(): Promise<Cache> {
  const cache = createCache({ tiers: [memoryStore()] })
  await cache.set('user:1', { name: 'Ada', email: 'ada@example.com' }, { tags: ['users'] })
  await cache.get('user:1')
  await cache.get('user:2')
  cleanups.push(() => cache.close())
  return cache
}

/** Reads the first SSE event of a stream. */
async function firstEvent(res: Response): Promise<{ event: string; data: DashboardSnapshot }> {
  const reader = res.body!.getReader()
  let text = ''
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  await reader.cancel()
  const event = /^event: (.+)$/m.exec(text)![1]!
  const data = JSON.parse(/^data: (.+)$/m.exec(text)![1]!) as DashboardSnapshot
  return { event, data }
}

/** The checks every mount must pass, against `base` (the dashboard's URL without a trailing slash). */
async function checkMount(base: string, cache: Cache): Promise<void> {
  const page = await fetch(`${base}/`)
  expect(page.status).toBe(200)
  expect(page.headers.get('content-type')).toContain('text/html')
  expect(page.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/)
  expect(page.headers.get('x-frame-options')).toBe('DENY')
  expect(await page.text()).toContain('<canvas id="chart"')

  const stats = (await (await fetch(`${base}/api/stats`)).json()) as DashboardSnapshot
  expect(stats.stats.hits).toBe(1)
  expect(stats.stats.misses).toBe(1)
  expect(stats.actions).toBe(true)
  expect(stats.tiers.map((t) => t.name)).toEqual(['memory'])

  const sse = await fetch(`${base}/api/events`)
  expect(sse.headers.get('content-type')).toContain('text/event-stream')
  const first = await firstEvent(sse)
  expect(first.event).toBe('snapshot')
  expect(first.data.stats.hits).toBe(1)

  expect((await fetch(`${base}/api/lookup?key=user:1`, { method: 'POST' })).status).toBe(401)
  const lookup = await fetch(`${base}/api/lookup?key=user:1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  expect(lookup.status).toBe(200)
  const body = await lookup.text()
  expect(body).toContain('object (2 keys)')
  expect(body).not.toContain('ada@example.com')
  const del = await fetch(`${base}/api/delete?key=user:1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  expect(await del.json()).toEqual({ key: 'user:1', deleted: true })
  expect(await cache.has('user:1')).toBe(false)
}

describe('mounting the dashboard', () => {
  it('in node:http, on its own server (serveDashboard)', async () => {
    const cache = await seeded()
    const server = await serveDashboard(cache, { port: 0, auth: { token: TOKEN } })
    cleanups.push(() => server.close())
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_cachestack\/$/)
    await checkMount(server.url.slice(0, -1), cache)
    const root = await fetch(server.url.replace('/_cachestack/', '/'), { redirect: 'manual' })
    expect(root.status).toBe(302)
  })

  it('in Express, with app.use(dashboard(cache)) or app.use(path, dashboard(cache)); other routes still work', async () => {
    const cache = await seeded()
    const app = express()
    const handler = dashboard(cache, { auth: { token: TOKEN } })
    const mounted = dashboard(cache, { path: '/admin/cache', auth: { token: TOKEN } })
    cleanups.push(
      () => handler.close(),
      () => mounted.close(),
    )
    app.use(handler)
    app.use('/admin/cache', mounted)
    app.get('/hello', (_req, res) => {
      res.send('world')
    })
    const server = app.listen(0)
    cleanups.push(() => {
      server.closeAllConnections()
      return new Promise<void>((r) => server.close(() => r()))
    })
    await new Promise((r) => server.once('listening', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    await checkMount(`${base}/_cachestack`, cache)
    expect(await (await fetch(`${base}/hello`)).text()).toBe('world')
    expect((await fetch(`${base}/admin/cache/api/stats`)).status).toBe(200)
  })

  it('in Fastify, through reply.hijack() and the raw request', async () => {
    const cache = await seeded()
    const handler = dashboard(cache, { auth: { token: TOKEN } })
    const app = Fastify()
    const route = (
      req: { raw: import('node:http').IncomingMessage },
      reply: { hijack(): void; raw: import('node:http').ServerResponse },
    ) => {
      reply.hijack()
      handler(req.raw, reply.raw)
    }
    app.all('/_cachestack', route)
    app.all('/_cachestack/*', route)
    cleanups.push(
      () => handler.close(),
      () => app.close(),
    )
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    await checkMount(`${base}/_cachestack`, cache)
  })

  it('in Hono, through handler.fetch', async () => {
    const cache = await seeded()
    const handler = dashboard(cache, { auth: { token: TOKEN } })
    const app = new Hono()
    app.all('/_cachestack/*', (c) => handler.fetch(c.req.raw))
    app.get('/hello', (c) => c.text('world'))
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    cleanups.push(
      () => handler.close(),
      () => new Promise<void>((r) => server.close(() => r())),
    )
    await new Promise((r) => server.once('listening', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    await checkMount(`${base}/_cachestack`, cache)
    expect(await (await fetch(`${base}/hello`)).text()).toBe('world')
  })

  it('shows values only when configured, and validates its options', async () => {
    const cache = await seeded()
    const handler = dashboard(cache, { auth: { token: TOKEN }, showValues: true })
    cleanups.push(() => handler.close())
    const res = await handler.fetch(
      new Request('http://x/_cachestack/api/lookup?key=user:1', {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      }),
    )
    expect(await res.text()).toContain('ada@example.com')
    expect((await handler.fetch(new Request('http://x/elsewhere'))).status).toBe(404)
    expect(() => dashboard(cache, { auth: { token: 'short' } })).toThrow(/auth\.token/)
    expect(() => dashboard(cache, { path: 'no-slash' })).toThrow(/Option "path"/)
    expect(() => dashboard(cache, { keySampleRate: 2 })).toThrow(/keySampleRate/)
  })

  it('a taken port gives a clear error', async () => {
    const cache = await seeded()
    const first = await serveDashboard(cache, { port: 0 })
    cleanups.push(() => first.close())
    await expect(serveDashboard(cache, { port: first.port })).rejects.toThrow(/Port \d+ on 127\.0\.0\.1 is taken/)
  })
})
