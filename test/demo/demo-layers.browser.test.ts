/**
 * The demo's layer trail, side panel and buttons, in headless Chromium, as a
 * newcomer clicks through them. Each test saves a screenshot to docs/images/
 * (docs/demo.md shows them).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../../examples/demo/app.js'
import { chromiumAvailable, launchBrowser } from '../ops/helpers/browser.js'

const hasChromium = chromiumAvailable('demo-layers.browser.test')
const images = join(import.meta.dirname, '../../docs/images')

describe.skipIf(!hasChromium)('the demo shows its layers at work', { timeout: 90_000 }, () => {
  let demo: Demo
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let context: BrowserContext
  let page: Page
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-demo-layers-'))
  const pageErrors: string[] = []

  const trail = () => page.locator('#trail li').allInnerTexts()

  beforeAll(async () => {
    demo = await startDemo({ port: 0, dataDir: dir, caching: true, redisUrl: '' })
    browser = await launchBrowser()
    context = browser.context
    page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    mkdirSync(images, { recursive: true })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('each page says which layers answered and how long it took; the side panel lists the layers with live hit ratios', async () => {
    await page.goto(`${demo.url}/?page=3`)
    const first = (await trail()).join('\n')
    // First visit of this list page: its queries miss and load from the database.
    expect(first).toMatch(/query cache( ×\d+)?\s+miss/)
    expect(first).toMatch(/loaded from the source in [\d.]+ ms/)
    expect(await page.locator('#trail-total').innerText()).toMatch(/^[\d.]+ ms on the server$/)
    await page.reload()
    const second = (await trail()).join('\n')
    expect(second).toMatch(/query cache( ×\d+)?\s+hit in memory/)
    expect(second).toMatch(/discount \(refresh-ahead\) ×20\s+hit in memory/)
    expect(second).toMatch(/fragment \(sidebar\)\s+hit in memory/)
    expect(second).not.toContain('loaded from the source')
    await expect
      .poll(() => page.locator('#layers li').evaluateAll((els) => els.map((e) => (e as unknown as Elem).dataset.layer)))
      .toEqual(expect.arrayContaining(['query cache', 'fragment (sidebar)', 'tier memory', 'tier sqlite']))
    expect(await page.locator('#layers li[data-layer="query cache"] .ratio').innerText()).toMatch(/^\d+ %$/)
    await page.screenshot({ path: join(images, 'demo-home.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  })

  it('a product page calls its API cached and uncached, showing Cache-Status, the trail and both times', async () => {
    await page.goto(`${demo.url}/product/42`)
    const api = page.locator('[data-api]')
    await api.locator('button').click()
    await expect.poll(() => api.locator('.cache-status').innerText()).toMatch(/^cachestack; (fwd=miss|hit)/)
    await api.locator('button').click()
    await expect.poll(() => api.locator('.cache-status').innerText()).toBe('cachestack; hit')
    expect(await api.locator('.timing').innerText()).toMatch(/^[\d.]+ ms · uncached path: [\d.]+ ms$/)
    expect((await api.locator('ol li').allInnerTexts()).join('\n')).toMatch(/route cache\s+hit in memory/)
    await page.screenshot({ path: join(images, 'demo-product.png'), fullPage: true })
  })

  it('"edit a price": written through to the record, the API route invalidated by tag', async () => {
    await page.goto(`${demo.url}/product/42`)
    await page.fill('#edit-price input[name=price]', '123.45')
    await Promise.all([page.waitForURL(`${demo.url}/product/42`), page.click('#edit-price button')])
    expect(await page.locator('#list-price').innerText()).toBe('123.45 €')
    // The record was written to the cache with the database: the reload reads it from memory.
    expect((await trail()).join('\n')).toMatch(/product record \(write-through\)\s+hit in memory/)
    const api = page.locator('[data-api]')
    await api.locator('button').click()
    // The stored API response was dropped by the tag: the first call is a miss, with the new price.
    await expect.poll(() => api.locator('.cache-status').innerText()).toMatch(/^cachestack; fwd=miss/)
    const json = (await (await page.request.get(`${demo.url}/api/products/42`)).json()) as { price: number }
    expect(json.price).toBe(123.45)
  })

  it('"stampede": 1,000 concurrent requests for one key run the loader once', async () => {
    await page.goto(`${demo.url}/`)
    await page.click('#btn-stampede')
    await expect
      .poll(() => page.locator('#demo-output').innerText(), { timeout: 30_000 })
      .toMatch(/^1,000 concurrent requests, 1 load, 1,000 answered in \d+ ms$/)
    await page.locator('aside.layers').screenshot({ path: join(images, 'demo-stampede.png') })
  })

  it('"take the database down": visited pages keep being served by the cache, without a query', async () => {
    await page.goto(`${demo.url}/product/7`)
    await page.goto(`${demo.url}/?page=3`)
    await page.click('#btn-db')
    await expect.poll(() => page.locator('#outage').isVisible()).toBe(true)
    expect(demo.db.down).toBe(true)
    const queries = demo.db.queries
    for (const path of ['/?page=3', '/product/7']) {
      const res = await page.goto(`${demo.url}${path}`)
      expect(res?.status()).toBe(200)
      expect((await trail()).join('\n')).not.toContain('loaded from the source')
    }
    expect(await page.locator('#price').innerText()).toMatch(/€$/)
    expect(demo.db.queries).toBe(queries)
    await expect.poll(() => page.locator('#outage').isVisible()).toBe(true)
    await page.screenshot({ path: join(images, 'demo-database-down.png'), fullPage: true })
    await expect.poll(() => page.locator('#btn-db').innerText()).toBe('Bring the database back')
    await page.click('#btn-db')
    await expect.poll(() => demo.db.down).toBe(false)
    expect(pageErrors).toEqual([])
  })

  it('"slow the pricing API": a visited product keeps its discount from the cache, without a call to the service', async () => {
    await page.goto(`${demo.url}/product/9`)
    await page.click('#btn-pricing')
    await expect.poll(() => demo.pricing.delay).toBe(2000)
    await expect.poll(() => page.locator('#btn-pricing').innerText()).toBe('Make the pricing API fast again')
    const calls = demo.pricing.calls
    await page.reload()
    expect((await trail()).join('\n')).toMatch(/discount \(refresh-ahead\)\s+hit in memory/)
    expect(await page.locator('#price').innerText()).toMatch(/€$/)
    expect(demo.pricing.calls).toBe(calls)
    await page.locator('aside.layers').screenshot({ path: join(images, 'demo-slow-pricing.png') })
    await page.click('#btn-pricing')
    await expect.poll(() => demo.pricing.delay).toBe(40)
  })

  it('"run the load test": caching off, then on, drawn as a table and a chart of requests/s', async () => {
    await page.goto(`${demo.url}/`)
    await page.click('#btn-load')
    const table = page.locator('#load-result table.load')
    await expect.poll(() => table.count(), { timeout: 60_000 }).toBe(1)
    const rows = await table
      .locator('tr')
      .evaluateAll((trs) =>
        trs
          .map((tr) => (tr as unknown as { cells: ArrayLike<{ textContent: string }> }).cells)
          .map((c) => Array.from(c, (td) => td.textContent)),
      )
    expect(rows[0]).toEqual(['', 'req/s', 'p50 ms', 'p99 ms', 'DB queries/req', 'errors'])
    const [off, on, ratio] = [rows[1]!, rows[2]!, rows[3]!]
    expect(off[0]).toBe('caching off')
    expect(on[0]).toBe('caching on')
    for (const row of [off, on]) {
      expect(Number(row[1]!.replace(/,/g, ''))).toBeGreaterThan(0)
      expect(row[5]).toBe('0')
    }
    // The stable figure: with caching on, the warm hot set sends (almost) nothing to the database.
    expect(Number(on[4])).toBeLessThan(Number(off[4]))
    expect(ratio[1]).toMatch(/^\d+\.\d×$/)
    expect(await page.locator('.load-bar').count()).toBe(2)
    await page.locator('aside.layers').screenshot({ path: join(images, 'demo-load.png') })
  })
})

interface Elem {
  dataset: Record<string, string>
}
