import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../../examples/demo/app.js'
import { REDIS_HOST, REDIS_PORT, REDIS_URL } from '../helpers/redis.js'

describe('the demo app', () => {
  let demo: Demo
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-demo-test-'))
  beforeAll(async () => {
    demo = await startDemo({ port: 0, dataDir: dir, caching: true, redisUrl: '', loginLimit: 5 })
  })
  afterAll(async () => {
    await demo.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves the catalog page with products from the seeded database', async () => {
    const res = await fetch(`${demo.url}/`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<table id="products">')
    expect(html.match(/<tr data-id=/g)).toHaveLength(20)
    expect(html).toContain('Categories')
  })

  it('a second read of a product is served from the cache: no new query, no new external call', async () => {
    await fetch(`${demo.url}/api/products/7`)
    const q = demo.db.queries
    const calls = demo.pricing.calls
    const res = await fetch(`${demo.url}/api/products/7`)
    expect(((await res.json()) as { id: number }).id).toBe(7)
    expect(demo.db.queries).toBe(q)
    expect(demo.pricing.calls).toBe(calls)
  })

  it('an edited price shows at once on the next page load', async () => {
    const before = await (await fetch(`${demo.url}/product/42`)).text()
    expect(before).toContain('id="price"')
    const res = await fetch(`${demo.url}/api/products/42/price`, {
      method: 'POST',
      body: JSON.stringify({ price: 1234.5 }),
    })
    expect(res.status).toBe(200)
    const after = await (await fetch(`${demo.url}/product/42`)).text()
    expect(after).toContain('1234.50 €')
    const api = (await (await fetch(`${demo.url}/api/products/42`)).json()) as { price: number }
    expect(api.price).toBe(1234.5)
  })

  it('refuses a bad price with a clear 400', async () => {
    const res = await fetch(`${demo.url}/api/products/42/price`, {
      method: 'POST',
      body: JSON.stringify({ price: 'free' }),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: 'price must be a number > 0' })
  })

  it('counts views behind: the cache has the count at once, the database a moment later', async () => {
    const post = async () =>
      ((await (await fetch(`${demo.url}/api/products/77/view`, { method: 'POST' })).json()) as { views: number }).views
    const counts = await Promise.all([post(), post(), post(), post(), post()])
    expect(counts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5])
    // The write-behind queue flushes within a second; poll the database, not a sleep of a guessed length.
    await expect
      .poll(async () => (await demo.db.sql.query('SELECT count FROM demo_views WHERE id = $1', [77])).rows, {
        timeout: 10_000,
      })
      .toEqual([{ count: 5 }])
  })

  it('invalidates by tag: the next read of a tagged route is a miss', async () => {
    const url = `${demo.url}/api/products?page=3`
    await fetch(url)
    expect((await fetch(url)).headers.get('cache-status')).toMatch(/^cachestack; hit/)
    const res = await fetch(`${demo.url}/api/invalidate`, {
      method: 'POST',
      body: JSON.stringify({ tags: ['catalog'] }),
    })
    expect(await res.json()).toEqual({ invalidated: ['catalog'] })
    expect((await fetch(url)).headers.get('cache-status')).toMatch(/fwd=(miss|stale)/)
    const bad = await fetch(`${demo.url}/api/invalidate`, { method: 'POST', body: '{"tags":"catalog"}' })
    expect(bad.status).toBe(400)
  })

  it('limits login attempts per address and name, with Retry-After', async () => {
    const attempt = () =>
      fetch(`${demo.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=mallory&password=guess',
        redirect: 'manual',
      })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await attempt()).status)
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
    const limited = await attempt()
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    // Another name from the same address is not blocked by mallory's attempts.
    const ok = await fetch(`${demo.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=ada&password=demo',
      redirect: 'manual',
    })
    expect(ok.status).toBe(303)
    expect(ok.headers.get('set-cookie')).toMatch(/^connect\.sid=/)
  })

  it('serves Prometheus metrics and the dashboard', async () => {
    const metrics = await (await fetch(`${demo.url}/metrics`)).text()
    expect(metrics).toMatch(/cachestack_\w+\{[^}]*cache="demo"/)
    const dash = await fetch(`${demo.url}/_cachestack`)
    expect(dash.status).toBe(200)
    expect(await dash.text()).toContain('id="total-ratio"')
  })

  it('?cache=off bypasses the cache', async () => {
    await fetch(`${demo.url}/api/products/9`)
    const q = demo.db.queries
    await fetch(`${demo.url}/api/products/9?cache=off`)
    expect(demo.db.queries).toBe(q + 1)
  })
})

describe('startup', () => {
  it('listens on a free port, and says so, when the wanted port is taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cachestack-demo-port-'))
    const blocker = createServer().listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const taken = (blocker.address() as AddressInfo).port
    const demo = await startDemo({ port: taken, fallbackPort: true, dataDir: dir, redisUrl: '' })
    try {
      expect(demo.url).not.toBe(`http://127.0.0.1:${taken}`)
      expect(demo.portNote).toContain(`port ${taken} is in use`)
      expect((await fetch(`${demo.url}/api/products/1`)).status).toBe(200)
    } finally {
      await demo.close()
      blocker.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

const redisUp = await new Promise<boolean>((resolve) => {
  const s = connect(REDIS_PORT, REDIS_HOST)
  s.once('connect', () => {
    s.destroy()
    resolve(true)
  })
  s.once('error', () => resolve(false))
})
if (!redisUp && process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is unreachable (CI=true)`)
if (!redisUp) console.warn(`demo.test: Redis at ${REDIS_URL} is unreachable; skipping the two-process test`)

describe.skipIf(!redisUp)('two demo processes on one Redis', () => {
  it('a price edited in one is shown at once by the other (write-through, bus, tags)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cachestack-demo-redis-'))
    const redisPrefix = `cs-test-${process.pid}-${Math.random().toString(36).slice(2)}:`
    const common = { port: 0, dataDir: dir, caching: true, redisUrl: REDIS_URL, redisPrefix }
    // Two instances on one data folder, as two processes would run: each has its own write-behind journal.
    const a = await startDemo({ ...common, instance: 'a' })
    const b = await startDemo({ ...common, instance: 'b' })
    try {
      expect(a.tiers).toContain('Redis')
      // Both processes have product 5 in their memory tier and route cache.
      for (const d of [a, b]) {
        await fetch(`${d.url}/product/5`)
        await fetch(`${d.url}/api/products/5`)
      }
      const edit = await fetch(`${a.url}/api/products/5/price`, { method: 'POST', body: '{"price":42.42}' })
      expect(edit.status).toBe(200)
      const page = await (await fetch(`${b.url}/product/5`)).text()
      expect(page).toContain('<span id="list-price">42.42 €</span>')
      const api = (await (await fetch(`${b.url}/api/products/5`)).json()) as { price: number }
      expect(api.price).toBe(42.42)
    } finally {
      await a.close()
      await b.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('npm run demo:load', () => {
  it('reports more requests/s and fewer queries with caching on than off', { timeout: 180_000 }, async () => {
    const { runLoad } = await import('../../examples/demo/load.js')
    const [off, on] = await runLoad({ duration: 2, connections: 10 })
    expect(off!.mode).toBe('caching off')
    expect(on!.rps).toBeGreaterThan(off!.rps)
    expect(on!.hitRatio).toBeGreaterThan(0)
    expect(on!.errors).toBe(0)
    expect(off!.errors).toBe(0)
    expect(on!.dbQueries / on!.requests).toBeLessThan(off!.dbQueries / off!.requests)
    expect(on!.pricingCalls / on!.requests).toBeLessThan(off!.pricingCalls / off!.requests)
  })
})
