/**
 * The demo app: a product catalog with a server-rendered page and a JSON API,
 * a slow external pricing service, and cachestack in front of both. Caching
 * can be turned off (env CACHE=off, or ?cache=off per request) to compare.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { type Database, openDatabase, type Product } from './db.js'
import { type PricingService, startPricing } from './pricing.js'
import { layout, productDetail, productList, sidebar } from './views.js'

export interface DemoOptions {
  /** Port to listen on (0 for a free one). @defaultValue PORT or 3000 */
  port?: number
  /** Caching on or off for the whole app. @defaultValue on, unless CACHE=off */
  caching?: boolean
  /** Where the SQLite file lives. @defaultValue CACHESTACK_DEMO_DIR or a folder in the OS temp dir */
  dataDir?: string
}

export interface Demo {
  url: string
  server: Server
  cache: Cache
  db: Database
  pricing: PricingService
  tiers: string
  close(): Promise<void>
}

interface Priced extends Product {
  discountPercent: number
  finalPrice: number
}

/** Starts the pricing service, the database and the app. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const cachingDefault = options.caching ?? process.env.CACHE !== 'off'
  const dataDir = options.dataDir ?? process.env.CACHESTACK_DEMO_DIR ?? join(tmpdir(), 'cachestack-demo')
  const db = await openDatabase(dataDir)
  const pricing = await startPricing()
  const cache = createCache({ tiers: [memoryStore({ maxEntries: 50_000, maxBytes: '128mb' })], ttl: '5m', grace: '1h' })
  const products = cache.namespace('products')
  const pages = cache.namespace('pages')
  const external = cache.namespace('pricing')

  // Each read goes through the cache unless caching is off for this request.
  const data = (useCache: boolean) => ({
    list: (page: number) =>
      useCache ? products.getOrSet(`list:${page}`, () => db.list(page, 50), { tags: ['products'] }) : db.list(page, 50),
    search: (q: string) =>
      useCache
        ? products.getOrSet(`search:${q}`, () => db.search(q, 50), { tags: ['products'], ttl: '1m' })
        : db.search(q, 50),
    find: (id: number) =>
      useCache
        ? products.getOrSet(`item:${id}`, () => db.find(id), {
            tags: ['products', `product:${id}`],
            shouldCache: (p) => p !== undefined,
          })
        : db.find(id),
    categories: () =>
      useCache ? products.getOrSet('categories', () => db.categories(), { tags: ['products'] }) : db.categories(),
    discount: async (id: number): Promise<number> => {
      const load = async () => {
        const res = await fetch(`${pricing.url}/price?id=${id}`)
        if (!res.ok) throw new Error(`pricing service answered ${res.status}`)
        return ((await res.json()) as { discountPercent: number }).discountPercent
      }
      return useCache
        ? external.getOrSet(`discount:${id}`, load, { ttl: '30s', grace: '10m', timeout: '500ms' })
        : load()
    },
  })

  const priced = async (d: ReturnType<typeof data>, p: Product): Promise<Priced> => {
    const discountPercent = await d.discount(p.id)
    return { ...p, discountPercent, finalPrice: Math.round(p.price * (100 - discountPercent)) / 100 }
  }

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://demo')
    const useCache = cachingDefault && url.searchParams.get('cache') !== 'off'
    const d = data(useCache)
    const path = url.pathname
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'x-cache-enabled': String(useCache) })
      res.end(body)
    }
    const json = (status: number, body: unknown) => send(status, 'application/json', JSON.stringify(body))
    let m: RegExpMatchArray | null
    if (req.method === 'GET' && path === '/') {
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
      const render = async () => sidebar(await d.categories())
      const side = useCache ? await pages.fragment('sidebar', render, { tags: ['products'] }) : await render()
      const list = await Promise.all((await d.list(page)).slice(0, 20).map((p) => priced(d, p)))
      return send(200, 'text/html; charset=utf-8', layout('Catalog', side, productList(list, page)))
    }
    if (req.method === 'GET' && (m = path.match(/^\/product\/(\d+)$/))) {
      const p = await d.find(Number(m[1]))
      if (!p) return send(404, 'text/html; charset=utf-8', layout('Not found', '', '<p>No such product.</p>'))
      const side = sidebar(await d.categories())
      return send(200, 'text/html; charset=utf-8', layout(p.name, side, productDetail(await priced(d, p))))
    }
    if (req.method === 'GET' && path === '/api/products') {
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
      return json(200, await d.list(page))
    }
    if (req.method === 'GET' && path === '/api/search') {
      return json(200, await d.search(String(url.searchParams.get('q') ?? '')))
    }
    if (req.method === 'GET' && (m = path.match(/^\/api\/products\/(\d+)$/))) {
      const p = await d.find(Number(m[1]))
      return p ? json(200, await priced(d, p)) : json(404, { error: 'not found' })
    }
    if (req.method === 'POST' && (m = path.match(/^\/api\/products\/(\d+)\/price$/))) {
      const id = Number(m[1])
      const body = JSON.parse((await readBody(req)) || '{}') as { price?: unknown }
      if (typeof body.price !== 'number' || !(body.price > 0)) return json(400, { error: 'price must be a number > 0' })
      await db.setPrice(id, body.price)
      // The product and every list and page showing it are stale now: one O(1) call.
      await cache.invalidateTags([`product:${id}`, 'products'])
      return json(200, await d.find(id))
    }
    if (req.method === 'POST' && (m = path.match(/^\/api\/products\/(\d+)\/view$/))) {
      const id = Number(m[1])
      await db.addViews(new Map([[id, 1]]))
      return json(200, { id, views: await db.views(id) })
    }
    if (req.method === 'GET' && path === '/_demo/stats') {
      return json(200, {
        caching: cachingDefault,
        dbQueries: db.queries,
        pricingCalls: pricing.calls,
        cache: cache.stats(),
      })
    }
    if (req.method === 'GET' && path === '/static/app.css') {
      res.writeHead(200, { 'content-type': 'text/css', 'cache-control': 'no-cache' })
      return res.end(CSS)
    }
    return send(404, 'text/plain', 'not found')
  }

  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`error: ${(err as Error).message}`)
    })
  })
  const port = options.port ?? Number(process.env.PORT ?? 3000)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', resolve)
    })
  } catch (err) {
    await Promise.all([pricing.close(), cache.close(), db.close()])
    throw err
  }
  const actual = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${actual}`,
    server,
    cache,
    db,
    pricing,
    tiers: cachingDefault ? 'memory (in-process)' : 'none: caching is off',
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await pricing.close()
      await cache.close()
      await db.close()
    },
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
      if (body.length > 64 * 1024) reject(new Error('body too large'))
    })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

const CSS = `body{font-family:system-ui,sans-serif;margin:0;display:grid;grid-template-columns:220px 1fr;min-height:100vh}
aside{background:#f4f4f6;padding:1rem}main{padding:1rem 2rem}table{border-collapse:collapse;width:100%}
td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left}.price{font-variant-numeric:tabular-nums}`
