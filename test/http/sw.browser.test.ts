/**
 * The service worker in headless Chromium, against a real HTTP server on
 * port 0 (a new port, so a new origin and a fresh worker, per test).
 */
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chromiumAvailable, launchBrowser } from '../ops/helpers/browser.js'
import { type Site, startSite } from './sw-site.js'

const hasChromium = chromiumAvailable('sw.browser.test')

describe.skipIf(!hasChromium)('the service worker in headless Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let site: Site
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    browser = await launchBrowser()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    await page?.close()
    await site?.close()
    expect(pageErrors).toEqual([])
  })

  /** Opens the site's home page and waits until the worker controls it. */
  async function visit(): Promise<void> {
    site = await startSite()
    page = await browser.context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await page.goto(`${site.base}/`)
    await page.waitForFunction('navigator.serviceWorker.controller !== null')
  }

  /** The caches' names, and the paths each holds. */
  function cacheContents(): Promise<Record<string, string[]>> {
    return page.evaluate(`(async () => {
      const out = {}
      for (const name of await caches.keys()) {
        out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search)
      }
      return out
    })()`)
  }

  /** fetch() from the page: the status and body text, or 'network error'. */
  function pageFetch(
    path: string,
    init: object = {},
  ): Promise<{ status: number; body: string; stored: boolean } | string> {
    return page.evaluate(
      `fetch(${JSON.stringify(path)}, ${JSON.stringify(init)}).then(
        async (r) => ({ status: r.status, body: await r.text(), stored: r.headers.has('x-cachestack-stored') }),
        () => 'network error')`,
    )
  }

  it('after one visit online, a reload with the network cut is served from the precache', async () => {
    await visit()
    const precache = `cachestack-precache-${site.sw.version}`
    const contents = await cacheContents()
    expect(Object.keys(contents)).toContain(precache)
    expect(contents[precache]!.sort()).toEqual([...site.sw.precache].sort())

    site.offline = true
    const reached = site.hits.length
    await page.reload()
    expect(await page.textContent('#title')).toBe('page /')
    // The fingerprinted CSS, script and image came from the precache.
    expect(await page.evaluate("getComputedStyle(document.getElementById('title')).color")).toBe('rgb(255, 0, 0)')
    expect(await page.evaluate('document.body.dataset.js')).toBe('ran')
    expect(await page.evaluate("document.getElementById('logo').naturalWidth")).toBe(4)
    // A page never visited: the offline page.
    await page.goto(`${site.base}/about`)
    expect(await page.textContent('#title')).toBe('You are offline')
    expect(site.hits.length).toBe(reached)

    // Back online: pages come from the network (through navigation preload).
    site.offline = false
    await page.goto(`${site.base}/about`)
    expect(await page.textContent('#title')).toBe('page /about')
    const nav = site.hits.filter((h) => h.line === 'GET /about').at(-1)
    expect(nav?.headers['service-worker-navigation-preload']).toBe('true')
  })

  it('a new deploy replaces the changed assets, keeps the unchanged ones, and deletes the old cache', async () => {
    await visit()
    const v1 = site.sw.version
    const oldCss = site.manifest.url('app.css')
    const logo = site.manifest.url('logo.svg')
    expect(site.count(`GET ${logo}`)).toBe(1)

    await site.deploy('h1 { color: rgb(0, 0, 255) }')
    const v2 = site.sw.version
    expect(v2).not.toBe(v1)
    const newCss = site.manifest.url('app.css')
    expect(newCss).not.toBe(oldCss)
    expect(site.manifest.url('logo.svg')).toBe(logo)

    // The page asks for an update; the new worker installs, says it waits, and the page activates it.
    await page.evaluate(`addEventListener('cachestack:waiting', (e) => e.detail.activate())`)
    await page.evaluate('navigator.serviceWorker.getRegistration().then((r) => r.update())')
    await page.waitForFunction(
      `events.some((e) => e.type === 'cachestack:waiting' && e.version === ${JSON.stringify(v2)})`,
    )
    await expect.poll(async () => Object.keys(await cacheContents())).toEqual([`cachestack-precache-${v2}`])
    const contents = await cacheContents()
    expect(contents[`cachestack-precache-${v2}`]).toContain(newCss)
    expect(contents[`cachestack-precache-${v2}`]).not.toContain(oldCss)
    // The unchanged, fingerprinted logo was copied from the old cache, not fetched again.
    expect(site.count(`GET ${logo}`)).toBe(1)
    expect(site.count(`GET ${newCss}`)).toBe(1)

    site.offline = true
    await page.reload()
    expect(await page.evaluate("getComputedStyle(document.getElementById('title')).color")).toBe('rgb(0, 0, 255)')
  })

  it('Clear-Site-Data: "cache" on logout clears what the worker holds, and only that', async () => {
    await visit()
    expect(await pageFetch('/api/products')).toMatchObject({ status: 200 })
    await expect
      .poll(async () => (await cacheContents())[`cachestack-api-${site.sw.version}`])
      .toEqual(['/api/products'])
    await page.evaluate(`caches.open('app-own').then((c) => c.put('/mine', new Response('mine')))`)

    // A fetch() logout.
    expect(await pageFetch('/logout', { method: 'POST' })).toMatchObject({ status: 200 })
    expect(Object.keys(await cacheContents())).toEqual(['app-own'])

    // A navigation to the logout page, after the caches filled again.
    await page.goto(`${site.base}/`)
    await pageFetch('/api/products')
    await expect.poll(async () => Object.keys(await cacheContents()).length).toBeGreaterThan(1)
    await page.goto(`${site.base}/logout`)
    expect(await page.textContent('#title')).toBe('Signed out')
    expect(Object.keys(await cacheContents())).toEqual(['app-own'])
  })

  it('a stale-while-revalidate API answers from the cache, then updates it and tells the page', async () => {
    await visit()
    expect(await pageFetch('/api/products?page=1')).toMatchObject({
      body: '{"path":"/api/products?page=1","version":1}',
    })
    // Stored in the background: wait until the copy is there.
    await expect
      .poll(async () => (await cacheContents())[`cachestack-api-${site.sw.version}`])
      .toEqual(['/api/products?page=1'])

    site.version = 2
    const second = await pageFetch('/api/products?page=1')
    expect(second).toMatchObject({ body: '{"path":"/api/products?page=1","version":1}', stored: true })
    await page.waitForFunction(
      `events.some((e) => e.type === 'cachestack:updated' && e.url.endsWith('/api/products?page=1'))`,
    )
    expect(await pageFetch('/api/products?page=1')).toMatchObject({
      body: '{"path":"/api/products?page=1","version":2}',
    })
    expect(site.count('GET /api/products?page=1')).toBe(3)

    // Older than maxAge ('1h'): not served; fetched again.
    await page.evaluate(
      `caches.open('cachestack-api-${site.sw.version}').then((c) => c.put('/api/products?page=9', new Response('old', { headers: { 'x-cachestack-stored': '1' } })))`,
    )
    expect(await pageFetch('/api/products?page=9')).toMatchObject({
      body: '{"path":"/api/products?page=9","version":2}',
    })

    // maxEntries 2: the third response written pushes out the first.
    for (const n of [1, 2, 3]) {
      await pageFetch(`/api/items/${n}`)
      await expect
        .poll(async () => (await cacheContents())[`cachestack-items-${site.sw.version}`])
        .toContain(`/api/items/${n}`)
    }
    expect((await cacheContents())[`cachestack-items-${site.sw.version}`]).toEqual(['/api/items/2', '/api/items/3'])
  })

  it('never stores a response to a request with credentials, nor a private or no-store one', async () => {
    await visit()
    const auth = { headers: { authorization: 'Bearer ada' } }
    expect(await pageFetch('/api/products/me', auth)).toMatchObject({ status: 200, body: '{"me":"ada"}' })
    expect(await pageFetch('/api/products/private')).toMatchObject({ status: 200, body: '{"me":"ada"}' })
    expect(await pageFetch('/api/products/nostore')).toMatchObject({ status: 200, body: '{"card":"4111"}' })
    expect(await pageFetch('/api/live')).toMatchObject({ status: 200 })
    // A public response on the same route is stored (so the route works), the others are not.
    expect(await pageFetch('/api/products/public')).toMatchObject({ status: 200 })
    await expect
      .poll(async () => (await cacheContents())[`cachestack-api-${site.sw.version}`])
      .toEqual(['/api/products/public'])
    // A second time, each went to the server again; with the network cut, none is answered.
    for (const path of ['/api/products/me', '/api/products/private', '/api/products/nostore']) {
      await pageFetch(path, path.endsWith('/me') ? auth : {})
      expect(site.count(`GET ${path}`)).toBe(2)
    }
    site.offline = true
    expect(await pageFetch('/api/products/me', auth)).toBe('network error')
    expect(await pageFetch('/api/products/private')).toBe('network error')
    expect(await pageFetch('/api/products/nostore')).toBe('network error')
    expect(await pageFetch('/api/live')).toBe('network error')
    expect(await pageFetch('/api/products/public')).toMatchObject({ status: 200, stored: true })
    const all = Object.values(await cacheContents()).flat()
    expect(all.filter((p) => /me|private|nostore|live/.test(p))).toEqual([])
  })
})
