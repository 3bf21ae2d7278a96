import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DashboardHandler, dashboard } from '../../src/dashboard.js'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { chromiumAvailable, launchBrowser } from './helpers/browser.js'
import { REDIS_URL, type RedisTier, redisAvailable, redisTier } from './helpers/redis-tier.js'

const hasChromium = chromiumAvailable('dashboard.browser.test')
const hasRedis = await redisAvailable()
if (!hasRedis && process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is unreachable (CI=true)`)
if (!hasRedis) console.warn(`dashboard.browser.test: Redis at ${REDIS_URL} is unreachable; skipping`)

const TOKEN = 'let-me-in-please'
const artifacts = join(import.meta.dirname, '../../test-artifacts')

describe.skipIf(!hasChromium || !hasRedis)('the dashboard in headless Chromium', () => {
  let cache: Cache
  let l2: RedisTier
  let handler: DashboardHandler
  let server: Server
  let url: string
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let page: Page
  const pageErrors: string[] = []

  /** Runs `traffic` every 20 ms until `done` resolves (the page sees it over SSE). */
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
    l2 = await redisTier('redis')
    cache = createCache({ tiers: [memoryStore({ maxEntries: 1000 }), l2], ttl: '10m' })
    handler = dashboard(cache, { auth: { token: TOKEN }, interval: 200, keySampleRate: 1 })
    server = createServer((req, res) => handler(req, res, () => res.writeHead(404).end('app 404')))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_cachestack`
    browser = await launchBrowser()
    page = await browser.context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
  })

  afterAll(async () => {
    await browser?.close()
    handler?.close()
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    await cache?.close()
  })

  it('loads, goes live, and the chart shows the hit ratio moving with traffic', async () => {
    await page.goto(url)
    expect(await page.title()).toContain('cachestack')
    await page.waitForSelector('#live.on')

    // Only misses: every key new. The page's latest point reads 0%.
    let n = 0
    await whileDriving(
      () => cache.getOrSet(`product:${n++}`, () => ({ price: n })),
      () => page.waitForFunction(() => (globalThis as unknown as Win).cachestack.history.at(-1)?.ratio === 0),
    )
    await expect.poll(() => page.textContent('#ratio')).toBe('0.0%')

    // Then only hits on one key: the ratio climbs to 100%.
    await whileDriving(
      () => cache.getOrSet('product:0', () => ({ price: 0 })),
      () => page.waitForFunction(() => (globalThis as unknown as Win).cachestack.history.at(-1)?.ratio === 1),
    )
    await expect.poll(() => page.textContent('#ratio')).toBe('100.0%')

    const history = await page.evaluate(() => (globalThis as unknown as Win).cachestack.history.map((p) => p.ratio))
    expect(history).toContain(0)
    expect(history).toContain(1)
    expect(Number(await page.getAttribute('#chart', 'data-points'))).toBeGreaterThanOrEqual(2)
    // The line is drawn: the canvas holds pixels of the "all reads" colour (#58a6ff).
    const drawn = await page.evaluate(() => {
      const c = (globalThis as unknown as Win).document.getElementById('chart')
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let count = 0
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0x58 && d[i + 1] === 0xa6 && d[i + 2] === 0xff) count++
      return count
    })
    expect(drawn).toBeGreaterThan(50)
    // Per-tier series and tables are there; the hottest key is the one we hammered.
    expect(await page.locator('#legend [data-series="tier:redis"]').count()).toBe(1)
    await expect.poll(() => page.textContent('#hot li:first-child')).toContain('product:0')
    expect(await page.textContent('#tiers')).toContain('redis')
    expect(pageErrors).toEqual([])
  })

  it('refuses actions without the token, and then deletes a key from Redis with it', async () => {
    await cache.set('session:victim', { user: 'ada' })
    expect(await l2.keys()).toContain('session:victim')

    await page.fill('#key', 'session:victim')
    await page.fill('#token', '')
    await page.click('#delete')
    await expect.poll(() => page.textContent('#result')).toContain('Refused (401)')
    await page.fill('#token', 'wrong-token-123')
    await page.click('#delete')
    await expect.poll(() => page.textContent('#result')).toContain('Refused (401)')
    expect(await l2.keys()).toContain('session:victim')
    expect(await cache.get('session:victim')).toEqual({ user: 'ada' })

    await page.fill('#token', TOKEN)
    await page.click('#delete')
    await expect.poll(() => page.textContent('#result')).toContain('"deleted": true')
    expect(await l2.keys()).not.toContain('session:victim')
    expect(await cache.get('session:victim')).toBeUndefined()
  })

  it('looks a key up by type and size without showing its value, and invalidates a tag', async () => {
    await cache.set('secret:1', { card: '4111-1111-1111-1111' }, { tags: ['cards'] })
    await page.fill('#token', TOKEN)
    await page.fill('#key', 'secret:1')
    await page.click('#lookup')
    await expect.poll(() => page.textContent('#result')).toContain('"tier": "redis"')
    const text = (await page.textContent('#result'))!
    expect(text).toContain('object (1 keys)')
    expect(text).toContain('"cards"')
    expect(text).not.toContain('4111')

    await page.fill('#tag', 'cards')
    await page.click('#invalidate')
    await expect.poll(() => page.textContent('#result')).toContain('"invalidated": true')
    expect(await cache.get('secret:1')).toBeUndefined()

    mkdirSync(artifacts, { recursive: true })
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true })
  })

  it('a dashboard without a token is read-only: actions disabled on the page and refused by the server', async () => {
    const readOnly = dashboard(cache, { path: '/ro', interval: 200 })
    const srv = createServer((req, res) => readOnly(req, res))
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/ro`
    try {
      const p = await browser.context.newPage()
      await p.goto(`${base}/`)
      await p.waitForSelector('#live.on')
      await p.waitForSelector('#readonly:not([hidden])')
      expect(await p.isDisabled('#delete')).toBe(true)
      expect(await p.isDisabled('#invalidate')).toBe(true)
      await p.close()
      const res = await fetch(`${base}/api/delete?key=product:0`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      })
      expect(res.status).toBe(403)
      expect(((await res.json()) as { error: string }).error).toMatch(/read-only/)
      expect(await cache.get('product:0')).toBeDefined()
    } finally {
      readOnly.close()
      srv.closeAllConnections()
      await new Promise((resolve) => srv.close(resolve))
    }
  })
})

/** The little of the page's globals the test reads (the tests compile without the DOM lib). */
interface Win {
  cachestack: { history: { ratio: number | null }[] }
  document: {
    getElementById(id: string): {
      width: number
      height: number
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }
    }
  }
}
