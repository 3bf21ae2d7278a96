/**
 * The dashboard's HTTP side: one router for the page, its JSON and SSE feeds,
 * and the token-protected actions, with two adapters: a Node handler
 * `(req, res, next?)` (node:http, Express, Connect, Fastify through `reply.raw`)
 * and a web-standard `fetch(request)` (Hono, Bun, Deno, workers).
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Cache } from '../core/cache.js'
import { type Duration, parseDuration } from '../core/duration.js'
import { invalidOption } from '../core/errors.js'
import { type AnalyzerSource, analyzerData, renderAnalyzerPage } from './analyzer-page.js'
import { inspectKey } from './inspect.js'
import { Monitor } from './monitor.js'
import { renderPage } from './page.js'

/** Options of {@link dashboard}. */
export interface DashboardOptions {
  /**
   * Where the dashboard is mounted. Requests outside it go to `next()` (or get a 404).
   * @defaultValue `'/_cachestack'`
   */
  path?: string
  /**
   * The token the actions (look up, delete a key, invalidate a tag) require, sent as
   * `Authorization: Bearer <token>`; the page asks for it. Without it the dashboard is
   * read-only. Viewing is not protected by the token: mount the dashboard behind your
   * own authentication where stats and key names are sensitive.
   * @defaultValue none (read-only)
   */
  auth?: { token: string }
  /**
   * Show values in key lookups. Off by default: the page shows types, sizes, ages and
   * tags, never the data.
   * @defaultValue false
   */
  showValues?: boolean
  /** How often the page updates (one history point per interval). @defaultValue `'1s'` */
  interval?: Duration
  /** History points kept (at one per second, 300 is five minutes). @defaultValue 300 */
  history?: number
  /**
   * The share of time the hottest and most-missed key lists listen to hits and
   * misses: for this fraction of each interval every hit and miss is counted, for
   * the rest none is (listening makes each hit build an event, which costs the hit
   * path). 1 counts everything; 0 turns the lists off. @defaultValue 0.1
   */
  keySampleRate?: number
  /** Distinct keys tracked per list (memory is bounded by twice this). @defaultValue 200 */
  topKeys?: number
  /** The page title. @defaultValue `'cachestack'` */
  title?: string
  /**
   * Hit and miss counters from outside this process, read once per interval and
   * charted as extra hit-ratio lines: for example a Redis server's keyspace hits
   * and misses, which is what `cachestack dashboard --redis` shows.
   * @defaultValue none
   */
  externalCounters?: () => Promise<Record<string, { hits: number; misses: number }>>
  /**
   * A recorder from `cachestack/analyze`: adds the Analyzer page at `<path>/analyze`
   * (what to cache, ranked, with the hit-ratio curve of the recorded keys) and its
   * JSON at `<path>/api/analyze`.
   * @defaultValue none (no Analyzer page)
   */
  analyzer?: AnalyzerSource
}

/** A mountable dashboard: a Node request handler with a web-standard `fetch` beside it. */
export interface DashboardHandler {
  /** Node form: node:http, Express and Connect. Calls `next` (or answers 404) outside its path. */
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void
  /** Web-standard form for Hono and other fetch-based frameworks. Answers 404 outside its path. */
  fetch(request: Request): Promise<Response>
  /** The mount path. */
  readonly path: string
  /** Stops the sampling timer, ends the live streams and stops listening to the cache. */
  close(): void
}

interface Reply {
  status: number
  type: string
  body: string
}

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

function json(status: number, data: unknown): Reply {
  return { status, type: 'application/json; charset=utf-8', body: JSON.stringify(data) }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

/**
 * A live dashboard for `cache`: hit ratio over time per namespace and tier, loads and
 * their latency, hottest and most-missed keys, evictions and tier health, with
 * token-protected actions (look up a key, delete a key, invalidate a tag).
 *
 * @param cache - the cache to watch (its namespaces are included)
 * @param options - see {@link DashboardOptions}
 * @example
 * ```ts
 * import { dashboard } from 'cachestack/dashboard'
 * app.use(dashboard(cache, { auth: { token: process.env.CACHE_TOKEN! } })) // Express: open /_cachestack
 * ```
 */
export function dashboard(cache: Cache, options: DashboardOptions = {}): DashboardHandler {
  const path = (options.path ?? '/_cachestack').replace(/\/+$/, '')
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) {
    throw invalidOption('path', 'a path starting with "/"', options.path)
  }
  const token = options.auth?.token
  if (options.auth !== undefined && (typeof token !== 'string' || token.length < 8)) {
    throw invalidOption('auth.token', 'a string of at least 8 characters', token)
  }
  const tokenDigest = token === undefined ? undefined : digest(token)
  const interval = parseDuration(options.interval ?? '1s', 'interval')
  if (!(interval >= 50)) throw invalidOption('interval', 'at least 50ms', options.interval)
  const historySize = options.history ?? 300
  if (!Number.isInteger(historySize) || historySize < 2) throw invalidOption('history', 'an integer ≥ 2', historySize)
  const keySampleRate = options.keySampleRate ?? 0.1
  if (!(keySampleRate >= 0 && keySampleRate <= 1)) {
    throw invalidOption('keySampleRate', 'a number from 0 to 1', options.keySampleRate)
  }
  const topKeys = options.topKeys ?? 200
  if (!Number.isInteger(topKeys) || topKeys < 1) throw invalidOption('topKeys', 'a positive integer', topKeys)
  const showValues = options.showValues === true
  const title = options.title ?? 'cachestack'
  const external = options.externalCounters
  if (external !== undefined && typeof external !== 'function') {
    throw invalidOption('externalCounters', 'a function resolving { name: { hits, misses } }', external)
  }
  const analyzer = options.analyzer
  if (analyzer !== undefined && typeof analyzer?.snapshot !== 'function') {
    throw invalidOption('analyzer', 'a Recorder from cachestack/analyze', analyzer)
  }
  const monitor = new Monitor(cache, {
    interval,
    historySize,
    keySampleRate,
    topKeys,
    ...(external === undefined ? {} : { external }),
  })
  const actions = tokenDigest !== undefined
  const streams = new Set<() => void>()

  const authorized = (header: string | null | undefined): Reply | undefined => {
    if (tokenDigest === undefined) {
      return json(403, { error: 'The dashboard is read-only: start it with auth: { token } to enable actions.' })
    }
    const given = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]
    if (given === undefined || !timingSafeEqual(digest(given), tokenDigest)) {
      return json(401, { error: 'A valid token is required for this action.' })
    }
    return undefined
  }

  /** Routes one request; `undefined` means "not ours". `'sse'` means: open the live stream. */
  const route = async (
    method: string,
    url: URL,
    authorization: string | null | undefined,
  ): Promise<Reply | 'sse' | undefined> => {
    const p = url.pathname
    if (p !== path && !p.startsWith(`${path}/`)) return undefined
    const sub = p.slice(path.length) || '/'
    if (method === 'GET' || method === 'HEAD') {
      if (sub === '/') {
        const nonce = randomBytes(16).toString('base64')
        return {
          status: 200,
          type: `text/html; charset=utf-8;nonce=${nonce}`,
          body: renderPage({ path, title, nonce, analyzer: analyzer !== undefined }),
        }
      }
      if (sub === '/api/stats') return json(200, monitor.snapshot(actions))
      if (analyzer !== undefined && sub === '/analyze') {
        const nonce = randomBytes(16).toString('base64')
        return {
          status: 200,
          type: `text/html; charset=utf-8;nonce=${nonce}`,
          body: renderAnalyzerPage(analyzer, { path, title, nonce }),
        }
      }
      if (analyzer !== undefined && sub === '/api/analyze') return json(200, analyzerData(analyzer))
      if (sub === '/api/events') return 'sse'
      return json(404, { error: `No dashboard route ${sub}.` })
    }
    if (method !== 'POST') return json(405, { error: `${method} is not allowed here.` })
    const refused = authorized(authorization)
    if (refused !== undefined) return refused
    const key = url.searchParams.get('key')
    const tag = url.searchParams.get('tag')
    try {
      if (sub === '/api/lookup' && key) return json(200, await inspectKey(cache, key, Date.now(), showValues))
      if (sub === '/api/delete' && key) return json(200, { key, deleted: await cache.delete(key) })
      if (sub === '/api/invalidate' && tag) {
        await cache.invalidateTags([tag])
        return json(200, { tag, invalidated: true })
      }
    } catch (error) {
      return json(400, { error: error instanceof Error ? error.message : String(error) })
    }
    return json(400, { error: 'Use POST /api/lookup?key=…, /api/delete?key=… or /api/invalidate?tag=….' })
  }

  /** Opens a live stream: the full snapshot first, then one `tick` per interval. */
  const stream = (write: (chunk: string) => void, end: () => void): (() => void) => {
    write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(monitor.snapshot(actions))}\n\n`)
    const unsubscribe = monitor.subscribe((point) => {
      write(`event: tick\ndata: ${JSON.stringify({ point, snapshot: monitor.snapshot(actions, false) })}\n\n`)
    })
    const stop = () => {
      unsubscribe()
      streams.delete(stop)
      end()
    }
    streams.add(stop)
    return stop
  }

  const node = function cachestackDashboard(
    req: IncomingMessage,
    res: ServerResponse,
    next?: (err?: unknown) => void,
  ): void {
    const original = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
    // Mounted with app.use(), every request of the app passes here: those outside the
    // path go on at once, without parsing a URL or waiting for a promise.
    if (!original.startsWith(path)) {
      if (next !== undefined) next()
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    const url = new URL(original, 'http://localhost')
    route(req.method ?? 'GET', url, req.headers.authorization).then(
      (reply) => {
        if (reply === undefined) {
          if (next !== undefined) next()
          else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
          return
        }
        if (reply === 'sse') {
          res.writeHead(200, {
            ...SECURITY_HEADERS,
            'content-type': 'text/event-stream; charset=utf-8',
            connection: 'keep-alive',
            'x-accel-buffering': 'no',
          })
          const stop = stream(
            (chunk) => res.write(chunk),
            () => res.end(),
          )
          req.on('close', stop)
          return
        }
        const [type, nonce] = reply.type.split(';nonce=') as [string, string | undefined]
        const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': type }
        if (nonce !== undefined) headers['content-security-policy'] = csp(nonce)
        res.writeHead(reply.status, headers).end(req.method === 'HEAD' ? undefined : reply.body)
      },
      (error: unknown) => (next !== undefined ? next(error) : res.writeHead(500).end()),
    )
  } as DashboardHandler

  Object.defineProperty(node, 'path', { value: path })
  node.fetch = async (request: Request): Promise<Response> => {
    const reply = await route(request.method, new URL(request.url), request.headers.get('authorization'))
    if (reply === undefined) return new Response('Not found', { status: 404 })
    if (reply === 'sse') {
      const encoder = new TextEncoder()
      let stop: (() => void) | undefined
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          stop = stream(
            (chunk) => controller.enqueue(encoder.encode(chunk)),
            () => {
              try {
                controller.close()
              } catch {
                // already closed by the client
              }
            },
          )
          request.signal?.addEventListener('abort', () => stop?.())
        },
        cancel() {
          stop?.()
        },
      })
      return new Response(body, {
        headers: { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' },
      })
    }
    const [type, nonce] = reply.type.split(';nonce=') as [string, string | undefined]
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': type }
    if (nonce !== undefined) headers['content-security-policy'] = csp(nonce)
    return new Response(request.method === 'HEAD' ? null : reply.body, { status: reply.status, headers })
  }
  node.close = () => {
    monitor.close()
    for (const stop of [...streams]) stop()
  }
  return node
}

function csp(nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`
}
