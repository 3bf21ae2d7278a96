/**
 * The demo app: a product catalog (server-rendered pages and a JSON API) on
 * Express, with sessions, a login, a slow external pricing service, and every
 * layer of cachestack in front of them:
 *
 * - browser headers on every response, fingerprinted immutable static assets
 * - route caching of the list and detail API (tagged, with Surrogate-Key for a CDN)
 * - fragment caching of the sidebar
 * - query caching tagged by table (`cachedQuery`)
 * - write-through product records (`cache.namespace(name, { load, save })`)
 * - write-behind view counters
 * - tag invalidation when a price changes
 * - refresh-ahead over a caching `fetch` for the pricing service
 * - sessions in the cache, a rate limit on login
 * - the dashboard at /_cachestack and Prometheus metrics at /metrics
 *
 * Caching can be turned off (env CACHE=off, or `?cache=off` on any read) to compare.
 */

import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import session from 'express-session'
import { Registry } from 'prom-client'
import { analyze, createRecorder, type Recorder, recordFunction, recordQueries } from '../../src/analyze.js'
import { dashboard } from '../../src/dashboard.js'
import { cacheControl, cached, serveAssets } from '../../src/express.js'
import { cachedFetch, fingerprintAssets } from '../../src/http.js'
import type { Cache } from '../../src/index.js'
import { registerMetrics } from '../../src/prometheus.js'
import { expressRateLimit, rateLimit } from '../../src/ratelimit.js'
import { expressSessionStore } from '../../src/session.js'
import { cachedQuery, refreshAhead, sqliteJournal, writeBehind } from '../../src/strategies.js'
import { buildServiceWorker } from '../../src/sw.js'
import { openCaches } from './caches.js'
import { type Catalog, catalog } from './catalog.js'
import { type Database, openDatabase, type Product } from './db.js'
import { runLoad } from './load-button.js'
import { type PricingService, startPricing } from './pricing.js'
import { stampede } from './stampede.js'
import { layerTrail } from './trail.js'
import {
  layout,
  loginForm,
  type Page,
  type Priced,
  productDetail,
  productList,
  searchResults,
  sidebar,
} from './views.js'

const here = dirname(fileURLToPath(import.meta.url))

export interface DemoOptions {
  /** Port to listen on (0 for a free one). @defaultValue PORT or 3000 */
  port?: number
  /** When the port is taken, listen on a free one instead of failing. @defaultValue false */
  fallbackPort?: boolean
  /** Caching on or off for the whole app. @defaultValue on, unless CACHE=off */
  caching?: boolean
  /** Where the SQLite files live. @defaultValue CACHESTACK_DEMO_DIR or `cachestack-demo` in the OS temp dir */
  dataDir?: string
  /** Redis for the shared tier, bus, sessions and rate limiter. @defaultValue REDIS_URL */
  redisUrl?: string
  /** Prefix of the demo's Redis keys and bus channel. @defaultValue `'cachestack-demo:'` */
  redisPrefix?: string
  /** Login attempts allowed per minute per address and name. @defaultValue LOGIN_LIMIT or 5 */
  loginLimit?: number
  /** Delay of the pricing service, ms. @defaultValue PRICING_DELAY_MS or 40 */
  pricingDelay?: number
  /**
   * Names this instance when several share one `dataDir`: each keeps its own write-behind
   * journal (a journal belongs to one process). @defaultValue DEMO_INSTANCE or `''`
   */
  instance?: string
  /**
   * Record what the app does for the analyzer (`cachestack analyze`): routes, queries and
   * pricing calls; the ranking is on the dashboard's Analyzer page and the recording at
   * `/_demo/recording`. @defaultValue ANALYZE=1
   */
  analyze?: boolean
}

export interface Demo {
  url: string
  server: Server
  cache: Cache
  db: Database
  pricing: PricingService
  /** Whether caching is on by default. */
  caching: boolean
  /** The folder of the SQLite files. */
  dataDir: string
  /** The tiers in use, for the banner. */
  tiers: string
  /** The analyzer's recorder, when `analyze` is on. */
  recorder: Recorder | undefined
  /** Set when the requested port was taken and another one is used. */
  portNote: string | undefined
  close(): Promise<void>
}

declare module 'express-session' {
  interface SessionData {
    demoUser?: string
  }
}

/** Starts the pricing service, the database, the caches and the app. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const caching = options.caching ?? process.env.CACHE !== 'off'
  const dataDir = options.dataDir ?? process.env.CACHESTACK_DEMO_DIR ?? join(tmpdir(), 'cachestack-demo')
  const instance = (options.instance ?? process.env.DEMO_INSTANCE ?? '').replace(/[^A-Za-z0-9_-]/g, '_')
  const db = await openDatabase(dataDir)
  const pricing = await startPricing(options.pricingDelay)
  const caches = await openCaches(dataDir, options.redisUrl ?? process.env.REDIS_URL, options.redisPrefix)
  const { cache } = caches
  const assets = await fingerprintAssets({ dir: join(here, 'public') })

  // Query caching: reads cached by SQL and parameters, tagged `table:demo_products`;
  // the UPDATE of a price goes through the same wrapper and invalidates them.
  const recorder = (options.analyze ?? process.env.ANALYZE === '1') ? createRecorder() : undefined
  const sql = recorder === undefined ? db.sql : recordQueries(db.sql, recorder)
  const raw = catalog(sql, db.like)
  const queries = cachedQuery(sql, { cache, ttl: '5m' })
  const viaCache = catalog(queries, db.like)

  // Write-through: a product record is read from the cache (loaded on a miss) and
  // written to the database first, then to the cache: the next read anywhere sees it.
  const products = cache.namespace<Product | undefined, number>('product', {
    load: (id) => raw.find(id),
    save: async (id, p) => {
      if (p !== undefined) await viaCache.setPrice(id, p.price)
    },
    shouldCache: (p) => p !== undefined,
    ttl: '10m',
  })

  // Refresh-ahead over a caching fetch: the pricing service's answers are reused
  // as HTTP allows (max-age, ETag), and hot discounts are reloaded in the
  // background before they expire, so no visitor waits for the slow service.
  const fetchPricing = cachedFetch({ cache: cache.namespace('http') })
  const loadDiscount = async (fetcher: typeof fetch, id: string): Promise<number> => {
    const res = await fetcher(`${pricing.url}/price?id=${encodeURIComponent(id)}`)
    if (!res.ok) throw new Error(`pricing service answered ${res.status}`)
    return ((await res.json()) as { discountPercent: number }).discountPercent
  }
  const discounts = refreshAhead<number>(cache.namespace('pricing'), (id) => loadDiscount(fetchPricing, id), {
    ttl: '30s',
    ratio: 0.75,
    grace: '10m',
    timeout: '500ms',
  })

  // Write-behind: a view is counted in the cache at once; the database gets the
  // latest count per product in one batch a second later.
  const viewCounts = cache.namespace('views')
  const views = writeBehind<number>({
    cache: viewCounts,
    flush: (batch) =>
      raw.saveViews(batch.filter((e) => e.op === 'set').map((e) => ({ id: Number(e.key), count: e.value as number }))),
    maxBatch: 500,
    maxDelay: '1s',
    // Counts survive a crash: the journal is replayed at the next start (counts are absolute, so a replay is harmless).
    journal: sqliteJournal({
      path: join(dataDir, instance === '' ? 'views-journal.db' : `views-journal-${instance}.db`),
    }),
  })
  const viewQueue = new Map<number, Promise<number>>()
  // Increments of one product are chained, so concurrent views in this process are never lost.
  const addView = (id: number): Promise<number> => {
    const next = (viewQueue.get(id) ?? Promise.resolve(0)).then(async () => {
      const current = await viewCounts.getOrSet(String(id), () => raw.views(id))
      await views.write(String(id), current + 1)
      return current + 1
    })
    viewQueue.set(id, next)
    void next.finally(() => {
      if (viewQueue.get(id) === next) viewQueue.delete(id)
    })
    return next
  }

  const registry = new Registry()
  registerMetrics(cache, { registry, name: 'demo' })

  interface Reads {
    catalog: Catalog
    product(id: number): Promise<Product | undefined>
    discount(id: number): Promise<number>
    sidebar(): Promise<string>
    view(id: number): Promise<number>
  }
  const cachedReads: Reads = {
    catalog: viaCache,
    product: (id) => products.get(id),
    discount: (id) => discounts.get(String(id)),
    sidebar: () =>
      cache.fragment('sidebar', async () => sidebar(await viaCache.categories(), new Date()), {
        tags: ['categories'],
        ttl: '10m',
      }),
    view: addView,
  }
  const rawReads: Reads = {
    catalog: raw,
    product: (id) => raw.find(id),
    discount:
      recorder === undefined
        ? (id) => loadDiscount(fetch, String(id))
        : recordFunction(recorder, 'pricing API', (id: number) => loadDiscount(fetch, String(id))),
    sidebar: async () => sidebar(await raw.categories(), new Date()),
    view: async (id) => {
      await raw.addView(id)
      return raw.views(id)
    },
  }
  const useCache = (req: Request) => caching && req.query.cache !== 'off'
  const reads = (req: Request) => (useCache(req) ? cachedReads : rawReads)
  const priced = async (r: Reads, p: Product): Promise<Priced> => {
    const discountPercent = await r.discount(p.id)
    return { ...p, discountPercent, finalPrice: Math.round(p.price * (100 - discountPercent)) / 100 }
  }

  /** Sets a price: write-through to the database and the cache, then the pages and API responses showing it are invalidated by tag. */
  const setPrice = async (id: number, price: number): Promise<Product | undefined> => {
    if (!caching) {
      await raw.setPrice(id, price)
      return raw.find(id)
    }
    const p = await products.get(id)
    if (p === undefined) return undefined
    const updated = { ...p, price }
    await products.write(id, updated)
    await cache.invalidateTags([`product:${id}`, 'catalog'])
    return updated
  }

  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', 'loopback')
  app.use((req, res, next) => {
    res.setHeader('x-cache-enabled', String(useCache(req)))
    next()
  })

  if (recorder !== undefined) {
    // Everything but the demo's own plumbing (dashboard, metrics, stats, assets).
    app.use(analyze(recorder, { skip: (req) => /^\/(?:_|metrics|assets\/)/.test(req.url ?? '') }))
    app.get('/_demo/recording', (_req, res) => {
      res.setHeader('cache-control', 'no-store')
      res.json(recorder.snapshot())
    })
  }

  // Browser headers: assets are fingerprinted (the URL changes with the content), so browsers and CDNs keep them for a year.
  app.use(serveAssets(assets))
  // The browser tier: a service worker built from the same manifest precaches the assets (cache-first);
  // pages stay network-first and, being private, are never stored by it. app.js registers it.
  const sw = buildServiceWorker({ manifest: assets })
  app.get(sw.url, (req, res, next) => {
    const r = sw.respond(req.method, req.url, req.headers)
    if (r === undefined) return next()
    res
      .status(r.status)
      .set(Object.fromEntries(r.headers))
      .end(r.body ?? undefined)
  })
  app.use(dashboard(cache, { title: 'cachestack demo', ...(recorder === undefined ? {} : { analyzer: recorder }) }))
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).setHeader('cache-control', 'no-store')
    res.send(await registry.metrics())
  })
  app.get('/_demo/stats', (_req, res) => {
    res.setHeader('cache-control', 'no-store')
    res.json({
      layers: trail.layers(),
      databaseDown: db.down,
      pricingDelayMs: pricing.delay,
      caching,
      dbQueries: db.queries,
      pricingCalls: pricing.calls,
      cache: cache.stats(),
      viewCounters: views.stats(),
    })
  })

  // The layer trail: every response below says, in Server-Timing, which layers answered and how long it took.
  const trail = layerTrail(cache)
  app.use(trail.middleware)
  app.post('/_demo/stampede', async (_req, res) => {
    res.setHeader('cache-control', 'no-store')
    res.json(await stampede(cache))
  })
  app.post('/_demo/database', express.json({ limit: '1kb', type: () => true }), (req, res) => {
    res.setHeader('cache-control', 'no-store')
    const down = (req.body as { down?: unknown } | undefined)?.down
    if (typeof down !== 'boolean') {
      res.status(400).json({ error: 'send {"down": true} or {"down": false}' })
      return
    }
    db.down = down
    res.json({ databaseDown: db.down })
  })

  app.post('/_demo/load', async (req, res) => {
    res.setHeader('cache-control', 'no-store')
    const seconds = Math.min(10, Math.max(1, Number(req.query.seconds ?? 3) || 3))
    // Always this process, on the loopback address it listens on.
    const run = await runLoad(`http://127.0.0.1:${req.socket.localPort}`, () => db.queries, seconds)
    if (run === undefined) res.status(409).json({ error: 'a load test is already running' })
    else res.json(run)
  })
  app.post('/_demo/pricing', express.json({ limit: '1kb', type: () => true }), (req, res) => {
    res.setHeader('cache-control', 'no-store')
    const delayMs = (req.body as { delayMs?: unknown } | undefined)?.delayMs
    if (typeof delayMs !== 'number' || !(delayMs >= 0 && delayMs <= 10_000)) {
      res.status(400).json({ error: 'send {"delayMs": n} with 0 ≤ n ≤ 10000' })
      return
    }
    pricing.delay = delayMs
    res.json({ pricingDelayMs: pricing.delay })
  })

  // JSON API. Shared responses: a CDN may keep them 30 s, browsers revalidate after 10 s.
  const apiHeaders = cacheControl({ public: true, maxAge: '10s', sMaxAge: '30s', staleWhileRevalidate: '1m' })
  const noStore = cacheControl({ noStore: true })
  const whenCaching =
    (mw: RequestHandler): RequestHandler =>
    (req, res, next) =>
      useCache(req) ? mw(req, res, next) : next()
  const routeCache = (tags: (req: Request) => string[]) =>
    whenCaching(
      cached({ cache, ttl: '30s', grace: '5m', public: true, vary: [], tags, surrogateKeys: true }) as RequestHandler,
    )
  const api = express.Router()
  // Any content type: curl and fetch send JSON bodies as text/plain unless told.
  api.use(express.json({ limit: '16kb', type: () => true }))
  api.get(
    '/products',
    apiHeaders,
    routeCache(() => ['catalog']),
    async (req, res) => {
      res.json(await reads(req).catalog.list(pageOf(req), 50))
    },
  )
  api.get('/search', apiHeaders, async (req, res) => {
    res.json(await reads(req).catalog.search(String(req.query.q ?? ''), 50))
  })
  api.get(
    '/products/:id',
    apiHeaders,
    routeCache((req) => [`product:${req.params.id}`]),
    async (req, res) => {
      const r = reads(req)
      const p = await r.product(idOf(req))
      if (p === undefined) res.status(404).json({ error: 'not found' })
      else res.json(await priced(r, p))
    },
  )
  api.post('/products/:id/price', noStore, async (req, res) => {
    const price = (req.body as { price?: unknown } | undefined)?.price
    if (typeof price !== 'number' || !(price > 0)) {
      res.status(400).json({ error: 'price must be a number > 0' })
      return
    }
    const p = await setPrice(idOf(req), price)
    if (p === undefined) res.status(404).json({ error: 'not found' })
    else res.json(p)
  })
  api.post('/products/:id/view', noStore, async (req, res) => {
    const id = idOf(req)
    res.json({ id, views: await reads(req).view(id) })
  })
  api.post('/invalidate', noStore, async (req, res) => {
    const tags = (req.body as { tags?: unknown } | undefined)?.tags
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && t !== '')) {
      res.status(400).json({ error: 'tags must be an array of non-empty strings, e.g. {"tags":["catalog"]}' })
      return
    }
    await cache.invalidateTags(tags)
    res.json({ invalidated: tags })
  })
  app.use('/api', api)

  // Pages: sessions, the login and server-rendered HTML (private: they name the user).
  app.use(
    session({
      store: expressSessionStore(session, { cache: caches.sessions, prefix: 'demo-sess:' }),
      secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 24 * 3600_000 },
    }),
  )
  app.use(express.urlencoded({ extended: false, limit: '16kb' }))
  app.use(cacheControl({ private: true, noCache: true }))
  const page = (req: Request, title: string, side: string, main: string): string => {
    const p: Page = {
      title,
      side,
      main,
      css: assets.url('app.css'),
      js: assets.url('app.js'),
      user: req.session.demoUser,
    }
    return layout(p)
  }

  app.get('/', async (req, res) => {
    const r = reads(req)
    const pageNo = pageOf(req)
    const [side, list] = await Promise.all([r.sidebar(), r.catalog.list(pageNo, 20)])
    const items = await Promise.all(list.map((p) => priced(r, p)))
    res.send(page(req, 'Catalog', side, productList(items, pageNo)))
  })
  app.get('/search', async (req, res) => {
    const r = reads(req)
    const q = String(req.query.q ?? '')
    const [side, found] = await Promise.all([r.sidebar(), r.catalog.search(q, 50)])
    res.send(page(req, `Search: ${q}`, side, searchResults(q, found)))
  })
  const productPage = async (req: Request, res: Response, error?: string) => {
    const r = reads(req)
    const id = idOf(req)
    const p = await r.product(id)
    const side = await r.sidebar()
    if (p === undefined) {
      res.status(404).send(page(req, 'Not found', side, '<p>No such product.</p>'))
      return
    }
    const [item, viewCount] = await Promise.all([priced(r, p), r.view(id).catch(() => undefined)])
    res.status(error ? 400 : 200).send(page(req, p.name, side, productDetail(item, viewCount, error)))
  }
  app.get('/product/:id', (req, res) => productPage(req, res))
  app.post('/product/:id/price', async (req, res) => {
    const price = Number((req.body as { price?: string }).price)
    if (!(price > 0)) return productPage(req, res, 'The price must be a number greater than 0.')
    await setPrice(idOf(req), Math.round(price * 100) / 100)
    res.redirect(303, `/product/${idOf(req)}`)
  })

  const loginLimit = options.loginLimit ?? Number(process.env.LOGIN_LIMIT ?? 5)
  const loginLimiter = rateLimit({
    store: caches.limiter,
    limit: loginLimit,
    window: '1m',
    algorithm: 'sliding',
    prefix: `${options.redisPrefix ?? 'cachestack-demo:'}login:`,
  })
  app.get('/login', async (req, res) => {
    res.send(page(req, 'Log in', await reads(req).sidebar(), loginForm()))
  })
  app.post(
    '/login',
    expressRateLimit(loginLimiter, {
      key: (req) => `login:${req.ip}:${String((req.body as { name?: string } | undefined)?.name ?? '').toLowerCase()}`,
      message: 'Too many login attempts: wait a minute and try again.',
    }) as RequestHandler,
    async (req, res) => {
      const { name, password } = req.body as { name?: string; password?: string }
      const user = (name ?? '').trim()
      if (user === '' || password !== 'demo') {
        res.status(401).send(page(req, 'Log in', await reads(req).sidebar(), loginForm('Wrong name or password.')))
        return
      }
      await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())))
      req.session.demoUser = user.slice(0, 60)
      await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())))
      res.redirect(303, '/')
    },
  )
  app.post('/logout', async (req, res) => {
    await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())))
    res.clearCookie('connect.sid')
    res.redirect(303, '/')
  })

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found')
  })
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (!res.headersSent) res.status(500).type('text/plain')
    res.end(`error: ${err.message}`)
  })

  const server = createServer(app)
  const closeAll = async () => {
    await views.close().catch(() => {})
    await pricing.close()
    await caches.close()
    await db.close()
  }
  const wanted = options.port ?? Number(process.env.PORT ?? 3000)
  let portNote: string | undefined
  try {
    try {
      await listen(server, wanted)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !options.fallbackPort) throw err
      await listen(server, 0)
      portNote = `port ${wanted} is in use, so the demo listens on ${(server.address() as AddressInfo).port} instead (set PORT to choose)`
    }
  } catch (err) {
    await closeAll()
    throw err
  }
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    cache,
    db,
    pricing,
    caching,
    dataDir,
    tiers: caching ? caches.tiers : 'none: caching is off (CACHE=off)',
    recorder,
    portNote,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await closeAll()
    },
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError)
      resolve()
    })
  })
}

function pageOf(req: Request): number {
  return Math.max(1, Math.min(1000, Number(req.query.page ?? 1) || 1))
}

function idOf(req: Request): number {
  return Number(req.params.id) || 0
}
