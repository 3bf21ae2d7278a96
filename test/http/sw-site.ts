/**
 * A small site for the service-worker tests: fingerprinted assets, pages, an
 * offline page, API routes, a logout, and the worker built from the
 * manifest, on a real HTTP server on port 0. `deploy` swaps in new assets
 * (a new manifest, so a new worker); `offline` makes every connection fail
 * as a cut network would; `hits` counts what reached the server.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AssetManifest, fingerprintAssets } from '../../src/http.js'
import { buildServiceWorker, clearSiteData, registerServiceWorker, type ServiceWorkerBuild } from '../../src/sw.js'
import { listen } from './helpers.js'

export interface Site {
  base: string
  manifest: AssetManifest
  sw: ServiceWorkerBuild
  /** Requests that reached the server, as `METHOD path`, with the headers of each. */
  hits: { line: string; headers: http.IncomingHttpHeaders }[]
  /** How many times `line` reached the server. */
  count(line: string): number
  /** While true, every request is dropped (connection reset), as when the network is cut. */
  offline: boolean
  /** The value /api/products answers with. */
  version: number
  /** Rebuilds assets and worker with `css` as the new app.css. */
  deploy(css: string): Promise<void>
  close(): Promise<void>
}

const PAGE = (m: AssetManifest, title: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="${m.url('app.css')}"></head>
<body><h1 id="title">${title}</h1><img id="logo" src="${m.url('logo.svg')}" alt="">
<script src="${m.url('app.js')}"></script>
<script>window.events = []; for (const t of ['cachestack:waiting', 'cachestack:updated']) addEventListener(t, (e) => events.push(e.detail))</script>
<script>${registerServiceWorker()}</script></body></html>`

export async function startSite(): Promise<Site> {
  const dir = await mkdtemp(join(tmpdir(), 'cs-sw-'))
  await mkdir(join(dir, 'public'))
  async function build(css: string) {
    await writeFile(join(dir, 'public', 'app.css'), css)
    await writeFile(join(dir, 'public', 'app.js'), "document.body.dataset.js = 'ran'")
    await writeFile(join(dir, 'public', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    const manifest = await fingerprintAssets({ dir: join(dir, 'public') })
    const sw = buildServiceWorker({
      manifest,
      precache: ['/'],
      offline: '/offline.html',
      routes: [
        { match: '/api/products', strategy: 'stale-while-revalidate', cache: 'api', maxAge: '1h' },
        { match: '/api/items', strategy: 'stale-while-revalidate', cache: 'items', maxEntries: 2 },
        { match: /^\/api\/live(\?|$)/, strategy: 'network-only' },
      ],
    })
    return { manifest, sw }
  }
  const site = {
    ...(await build('h1 { color: rgb(255, 0, 0) }')),
    hits: [] as Site['hits'],
    offline: false,
    version: 1,
    count: (line: string) => site.hits.filter((h) => h.line === line).length,
  }
  const server = http.createServer((req, res) => {
    if (site.offline) {
      req.socket.destroy()
      return
    }
    const path = req.url ?? '/'
    site.hits.push({ line: `${req.method} ${path}`, headers: req.headers })
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, ...headers })
      res.end(body)
    }
    const asset = site.manifest.respond(req.method ?? 'GET', path, req.headers)
    const worker = site.sw.respond(req.method ?? 'GET', path, req.headers)
    const answer = asset ?? worker
    if (answer !== undefined) {
      res.writeHead(answer.status, Object.fromEntries(answer.headers))
      res.end(answer.body ?? undefined)
      return
    }
    const html = 'text/html; charset=utf-8'
    const json = 'application/json'
    const route = path.split('?')[0]
    if (route === '/' || route === '/about') return send(200, html, PAGE(site.manifest, `page ${route}`))
    if (route === '/offline.html')
      return send(200, html, '<!doctype html><title>offline</title><h1 id="title">You are offline</h1>')
    if (route === '/logout') {
      return send(200, html, '<!doctype html><title>bye</title><h1 id="title">Signed out</h1>', {
        ...Object.fromEntries(clearSiteData()),
        'cache-control': 'no-store',
      })
    }
    if (route === '/api/products/private')
      return send(200, json, '{"me":"ada"}', { 'cache-control': 'private, no-cache' })
    if (route === '/api/products/nostore') return send(200, json, '{"card":"4111"}', { 'cache-control': 'no-store' })
    if (route === '/api/products/me') {
      if (req.headers.authorization !== 'Bearer ada') return send(401, json, '{"error":"sign in"}')
      return send(200, json, '{"me":"ada"}', { 'cache-control': 'public, no-cache' })
    }
    if (route?.startsWith('/api/')) return send(200, json, JSON.stringify({ path, version: site.version }))
    send(404, 'text/plain', 'not found')
  })
  const { base, close } = await listen(server)
  return Object.assign(site, {
    base,
    async deploy(css: string) {
      Object.assign(site, await build(css))
    },
    async close() {
      await close()
      await rm(dir, { recursive: true, force: true })
    },
  })
}
