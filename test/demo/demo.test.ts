import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../../examples/demo/app.js'

describe('the demo app', () => {
  let demo: Demo
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-demo-test-'))
  beforeAll(async () => {
    demo = await startDemo({ port: 0, dataDir: dir, caching: true })
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

  it('?cache=off bypasses the cache', async () => {
    await fetch(`${demo.url}/api/products/9`)
    const q = demo.db.queries
    await fetch(`${demo.url}/api/products/9?cache=off`)
    expect(demo.db.queries).toBe(q + 1)
  })
})

describe('npm run demo:load', () => {
  it('reports more requests/s and fewer queries with caching on than off', { timeout: 180_000 }, async () => {
    const { runLoad } = await import('../../examples/demo/load.js')
    const [off, on] = await runLoad({ duration: 2, connections: 10 })
    expect(off!.mode).toBe('caching off')
    expect(on!.rps).toBeGreaterThan(off!.rps)
    expect(on!.hitRatio).toBeGreaterThan(0.5)
    expect(on!.errors).toBe(0)
    expect(off!.errors).toBe(0)
    expect(on!.dbQueries / on!.requests).toBeLessThan(off!.dbQueries / off!.requests)
    expect(on!.pricingCalls / on!.requests).toBeLessThan(off!.pricingCalls / off!.requests)
  })
})
