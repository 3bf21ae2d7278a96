/**
 * The dashboard as a reader of the issue "the first hour goes right" checks it,
 * in headless Chromium, on the default shape of tiers (memory over a SQLite
 * file): the hit-ratio line holds through a pause in reads, every tier shows
 * its bytes, and "explain this key" says what a read would do and why.
 * Screenshots go to docs/images/ (docs/demo.md and the README show them).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DashboardHandler, dashboard } from '../../src/dashboard.js'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { sqliteStore } from '../../src/sqlite.js'
import { chromiumAvailable, launchBrowser } from './helpers/browser.js'

const hasChromium = chromiumAvailable('dashboard-explain.browser.test')
const TOKEN = 'let-me-in-please'
const images = join(import.meta.dirname, '../../docs/images')

interface Point {
  ratio: number | null
}
interface Canvas {
  width: number
  height: number
  clientWidth: number
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }
}
interface Win {
  cachestack: { history: Point[] }
  document: { getElementById(id: string): Canvas }
}

describe.skipIf(!hasChromium)('the dashboard: chart, bytes and "explain this key"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-dash-'))
  let cache: Cache
  let handler: DashboardHandler
  let server: Server
  let url: string
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let page: Page
  const pageErrors: string[] = []

  async function whileDriving<T>(traffic: () => Promise<unknown>, done: () => Promise<T>): Promise<T> {
    let running = true
    const loop = (async () => {
      while (running) {
        await traffic()
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    try {
      return await done()
    } finally {
      running = false
      await loop
    }
  }

  beforeAll(async () => {
    cache = createCache({ tiers: [memoryStore(), sqliteStore({ path: join(dir, 'cache.db') })], ttl: '10m' })
    handler = dashboard(cache, { auth: { token: TOKEN }, interval: 200, keySampleRate: 1, title: 'shop' })
    server = createServer((req, res) => handler(req, res, () => res.writeHead(404).end('app 404')))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_cachestack`
    browser = await launchBrowser()
    page = await browser.context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    mkdirSync(images, { recursive: true })
  })

  afterAll(async () => {
    await browser?.close()
    handler?.close()
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    await cache?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('the hit-ratio line holds through a pause in reads instead of breaking into fragments', async () => {
    await page.goto(url)
    await page.waitForSelector('#live.on')
    const history = () => page.evaluate(() => (globalThis as unknown as Win).cachestack.history.map((p) => p.ratio))
    let n = 0
    await whileDriving(
      () => cache.getOrSet(`product:${n++ % 5}`, () => ({ price: n })),
      () => page.waitForFunction(() => (globalThis as unknown as Win).cachestack.history.at(-1)?.ratio != null),
    )
    // A pause: at least three intervals without a read.
    await page.waitForFunction(() => {
      const h = (globalThis as unknown as Win).cachestack.history
      return h.length >= 3 && h.slice(-3).every((p) => p.ratio === null)
    })
    await whileDriving(
      () => cache.getOrSet('product:1', () => ({ price: 1 })),
      () => page.waitForFunction(() => (globalThis as unknown as Win).cachestack.history.at(-1)?.ratio != null),
    )
    const idle = await page.evaluate(() => {
      const w = globalThis as unknown as Win
      const pts = w.cachestack.history
      const canvas = w.document.getElementById('chart')
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
      const dpr = canvas.width / canvas.clientWidth
      const first = pts.findIndex((p) => p.ratio !== null)
      const last = pts.length - 1
      const columns: { i: number; drawn: boolean }[] = []
      for (let i = first + 1; i < last; i++) {
        if (pts[i]!.ratio !== null) continue
        // The chart's x for point i (drawChart: left 44, right 10), in canvas pixels.
        const x = Math.round((44 + (canvas.clientWidth - 54) * (i / (pts.length - 1))) * dpr)
        let drawn = false
        for (let y = 0; y < canvas.height && !drawn; y++) {
          const o = (y * canvas.width + x) * 4
          // "all reads" is #58a6ff; the canvas is transparent, so an edge pixel keeps the colour with less alpha.
          drawn = d[o + 3]! > 0 && Math.abs(d[o]! - 0x58) < 8 && Math.abs(d[o + 1]! - 0xa6) < 8 && d[o + 2]! > 0xf0
        }
        columns.push({ i, drawn })
      }
      return columns
    })
    expect(idle.length).toBeGreaterThanOrEqual(3)
    expect(idle.filter((c) => !c.drawn)).toEqual([])
    expect((await history()).at(-1)).not.toBeNull()
    expect(pageErrors).toEqual([])
  })

  it('every tier shows its bytes: the memory tier and the SQLite file', async () => {
    for (let i = 0; i < 50; i++) await cache.set(`page:${i}`, 'x'.repeat(2000))
    await expect
      .poll(async () => page.locator('#tiers tbody tr').allTextContents(), { timeout: 10_000 })
      .toEqual([expect.stringMatching(/^memory\d[\d,]*\d+(\.\d)? kB/), expect.stringMatching(/^sqlite.*\d+(\.\d)? kB/)])
    const rows = await page.locator('#tiers tbody tr').allTextContents()
    expect(rows.join('\n')).not.toContain(' 0 B')
    await page.screenshot({ path: join(images, 'dashboard-tiers.png'), fullPage: true })
  })

  it('"explain this key" shows its tiers, age, TTL, grace, tags and versions, and an invalidation', async () => {
    await cache.set('product:42', { name: 'Lamp', price: 40 }, { tags: ['products', 'product:42'], grace: '1h' })
    await page.fill('#token', TOKEN)
    await page.fill('#key', 'product:42')
    await page.click('#lookup')
    await expect.poll(() => page.textContent('#explain')).toContain('Explain product:42')
    const explain = page.locator('#explain')
    expect(await explain.locator('p.verdict').textContent()).toBe('A read is a hit in memory.')
    const tiers = await explain.locator('table').first().locator('tbody tr').allTextContents()
    expect(tiers).toHaveLength(2)
    for (const row of tiers)
      expect(row).toMatch(/^(memory|sqlite)fresh\d+s10m 0s(9m 5\d|10m 0)s?.*1h 0m\d+object \(2 keys\)$/)
    const versions = await explain.locator('table').nth(1).locator('tbody tr').allTextContents()
    expect(versions).toEqual([
      expect.stringMatching(/^products\d+\d+current$/),
      expect.stringMatching(/^product:42\d+\d+current$/),
    ])

    await page.fill('#tag', 'products')
    await page.click('#invalidate')
    await expect.poll(() => page.textContent('#result')).toContain('"invalidated": true')
    await page.click('#lookup')
    await expect
      .poll(() => explain.locator('p.verdict').textContent())
      .toMatch(
        /^A read is a miss: the loader runs\. The stale entry \(invalidated: products\) is served only if the loader fails/,
      )
    expect(await explain.locator('table').nth(1).locator('tbody tr').first().textContent()).toMatch(
      /moved on: invalidated$/,
    )
    expect(await cache.get('product:42')).toBeUndefined()
    await page.locator('#actions').screenshot({ path: join(images, 'dashboard-explain.png') })
    expect(pageErrors).toEqual([])
  })
})
