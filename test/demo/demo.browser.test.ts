/**
 * The demo end to end, in headless Chromium: what a newcomer does in the
 * first minute after `npm start`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../../examples/demo/app.js'
import { chromiumAvailable, launchBrowser } from '../ops/helpers/browser.js'

const hasChromium = chromiumAvailable('demo.browser.test')

/** The part of the browser's `document` the page functions below use (no DOM lib in this project). */
type Doc = { getElementById(id: string): { textContent: string | null } | null }

describe.skipIf(!hasChromium)('the demo in headless Chromium', () => {
  let demo: Demo
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let context: BrowserContext
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-demo-e2e-'))
  const pageErrors: string[] = []

  beforeAll(async () => {
    demo = await startDemo({ port: 0, dataDir: dir, caching: true, redisUrl: '' })
    browser = await launchBrowser()
    context = browser.context
    context.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(e.message)))
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('shows the catalog with products, a sidebar and live stats', { timeout: 60_000 }, async () => {
    const page = await context.newPage()
    const res = await page.goto(`${demo.url}/`)
    expect(res?.status()).toBe(200)
    expect(res?.headers()['cache-control']).toBe('private, no-cache')
    await expect.poll(() => page.locator('#products tbody tr').count()).toBe(20)
    expect(await page.locator('aside.categories').textContent()).toContain('Categories')
    // The fingerprinted script ran: the footer shows the counters.
    await page.waitForFunction(() =>
      /database queries/.test(
        (globalThis as unknown as { document: Doc }).document.getElementById('live-stats')?.textContent ?? '',
      ),
    )
    // app.js registered the service worker; it took control and precached the fingerprinted assets.
    await page.waitForFunction('navigator.serviceWorker.controller !== null')
    const precached = await page.evaluate(
      "caches.keys().then((n) => caches.open(n.find((x) => x.startsWith('cachestack-precache-')))).then((c) => c.keys()).then((k) => k.map((r) => new URL(r.url).pathname))",
    )
    expect(precached).toEqual(expect.arrayContaining([expect.stringMatching(/^\/assets\/app\.[0-9a-f]{10}\.css$/)]))
    await page.close()
  })

  it('an edited price shows on the next page load, in a new tab, in the list and in the API', {
    timeout: 60_000,
  }, async () => {
    const page = await context.newPage()
    await page.goto(`${demo.url}/product/11`)
    const before = await page.locator('#list-price').innerText()
    // A price of its own: the demo's database may be the shared test PostgreSQL, kept between runs.
    const price = (100 + Math.floor(Math.random() * 800) + 0.77).toFixed(2)
    await page.fill('#edit-price input[name=price]', price)
    await Promise.all([page.waitForURL(`${demo.url}/product/11`), page.click('#edit-price button')])
    expect(await page.locator('#list-price').innerText()).toBe(`${price} €`)
    expect(before).not.toBe(`${price} €`)

    const other = await context.newPage()
    await other.goto(`${demo.url}/product/11`)
    expect(await other.locator('#list-price').innerText()).toBe(`${price} €`)
    const api = await other.goto(`${demo.url}/api/products/11`)
    const json = (await api?.json()) as { price: number; finalPrice: number }
    expect(json.price).toBe(Number(price))
    await other.goto(`${demo.url}/`)
    expect(await other.locator('#products tr[data-id="11"] .price').innerText()).toBe(`${json.finalPrice.toFixed(2)} €`)
    await page.close()
    await other.close()
  })

  it('a static asset is fingerprinted and immutable; an API route is cached and says so', {
    timeout: 60_000,
  }, async () => {
    const page = await context.newPage()
    await page.goto(`${demo.url}/`)
    const css = await page.locator('link[rel=stylesheet]').getAttribute('href')
    expect(css).toMatch(/^\/assets\/app\.[0-9a-f]{8,}\.css$/)
    const asset = await page.goto(`${demo.url}${css}`)
    expect(asset?.status()).toBe(200)
    const assetHeaders = asset?.headers() ?? {}
    expect(assetHeaders['cache-control']).toContain('immutable')
    expect(assetHeaders['cache-control']).toContain('max-age=31536000')
    expect(assetHeaders.etag).toBeTruthy()

    await page.goto(`${demo.url}/api/products/23`)
    const second = await page.goto(`${demo.url}/api/products/23?again=1`)
    const third = await page.reload()
    const apiHeaders = third?.headers() ?? {}
    expect(second?.status()).toBe(200)
    expect(apiHeaders['cache-control']).toBe('public, max-age=10, s-maxage=30, stale-while-revalidate=60')
    expect(apiHeaders['surrogate-key']).toContain('product:23')
    expect(apiHeaders['cache-status']).toMatch(/^cachestack; hit/)
    await page.close()
  })

  it('logs in and out with a session', { timeout: 60_000 }, async () => {
    const page = await context.newPage()
    await page.goto(`${demo.url}/login`)
    await page.fill('input[name=name]', 'Ada')
    await page.fill('input[name=password]', 'demo')
    await Promise.all([page.waitForURL(`${demo.url}/`), page.click('#login-form button')])
    expect(await page.locator('#user').innerText()).toBe('Ada')
    // The session holds across page loads and tabs.
    const other = await context.newPage()
    await other.goto(`${demo.url}/product/3`)
    expect(await other.locator('#user').innerText()).toBe('Ada')
    await Promise.all([page.waitForURL(`${demo.url}/`), page.click('#logout')])
    expect(await page.locator('#login').count()).toBe(1)
    await other.reload()
    expect(await other.locator('#user').count()).toBe(0)
    await page.close()
    await other.close()
  })

  it('opens the dashboard and sees the hit ratio', { timeout: 60_000 }, async () => {
    const page = await context.newPage()
    await page.goto(`${demo.url}/_cachestack`)
    await page.waitForSelector('#live.on')
    await page.waitForFunction(() =>
      /\d+(\.\d+)?\s*%/.test(
        (globalThis as unknown as { document: Doc }).document.getElementById('total-ratio')?.textContent ?? '',
      ),
    )
    const ratio = Number.parseFloat(await page.locator('#total-ratio').innerText())
    expect(ratio).toBeGreaterThan(0)
    expect(ratio).toBeLessThanOrEqual(100)
    expect(pageErrors).toEqual([])
    await page.close()
  })
})
