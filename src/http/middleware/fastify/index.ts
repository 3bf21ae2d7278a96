/**
 * The route cache for Fastify: a plugin that reads each route's
 * `config.cache` and attaches the route cache's hooks to that route only, so
 * routes without it pay nothing.
 * @module
 */
import { PassThrough } from 'node:stream'
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  onResponseHookHandler,
  onSendHookHandler,
} from 'fastify'
import type { Cache } from '../../../core/cache.js'
import type { AssetManifest } from '../../assets/fingerprint.js'
import { type CacheControlOptions, cacheControlValue } from '../../headers/cache-control-header.js'
import { unsafeTags } from '../../route-cache/key.js'
import type { CachedOptions } from '../../route-cache/options.js'
import { type Leader, NOT_ON_304, RouteCache, type Sender } from '../../route-cache/route-cache.js'
import { bodyETag } from '../../route-cache/stored-response.js'
import { writeStored } from '../node/write-stored.js'

/** Per-route options: {@link CachedOptions} without `cache` (the plugin's is used unless given). */
export type FastifyRouteCacheOptions = Omit<CachedOptions<FastifyRequest>, 'cache'> & { cache?: Cache }

/** Options of the plugin: the cache, and defaults for every route that opts in. */
export interface FastifyCacheOptions extends Partial<CachedOptions<FastifyRequest>> {
  /** The cache routes store responses in. */
  cache: Cache
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Cache this route's responses (`true` for the plugin's defaults, or per-route options). */
    cache?: boolean | FastifyRouteCacheOptions
  }
}

const sender: Sender<FastifyReply> = {
  send(reply, status, head, body) {
    reply.hijack()
    const raw = reply.raw
    // Headers earlier hooks set on the reply (CORS, request ids) are this request's: keep them.
    const own = reply.getHeaders()
    for (const name of Object.keys(own)) {
      const v = own[name]
      if (v !== undefined) raw.setHeader(name, v as string | string[] | number)
    }
    writeStored(raw, status, head)
    if (body === null) raw.end()
    else raw.end(body)
  },
}

const leaders = new WeakMap<FastifyRequest, Leader>()
/** The reply headers set before the route cache ran (outer hooks'), per leader request. */
const outerHeaders = new WeakMap<FastifyRequest, Map<string, string | undefined>>()

function toBuffer(payload: unknown): Buffer | undefined {
  if (payload === null || payload === undefined) return Buffer.alloc(0)
  if (typeof payload === 'string') return Buffer.from(payload)
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  return undefined
}

function headerString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  return Array.isArray(v) ? v.join(', ') : String(v)
}

function captured(request: FastifyRequest, reply: FastifyReply, body: Uint8Array | undefined) {
  let headers = Object.entries(reply.getHeaders()) as [string, string | string[] | number | undefined][]
  const outer = outerHeaders.get(request)
  if (outer !== undefined && outer.size > 0) {
    // outer hooks set these again on every hit: store them only where the handler changed them
    headers = headers.filter(([name, value]) => !outer.has(name) || outer.get(name) !== headerString(value))
  }
  return { status: reply.statusCode, headers, body }
}

const onSend: onSendHookHandler = (request, reply, payload, done) => {
  const leader = leaders.get(request)
  if (leader === undefined) {
    done(null, payload)
    return
  }
  if (reply.statusCode >= 500) {
    const stale = leader.stale(reply.statusCode)
    if (stale !== undefined) {
      // The handler failed and the route's grace holds an older response: send
      // that one, with the outer hooks' headers and without the handler's.
      const outer = outerHeaders.get(request)
      for (const name of Object.keys(reply.getHeaders())) if (outer?.has(name) !== true) reply.removeHeader(name)
      const fields = new Map<string, string[]>()
      for (let i = 0; i < stale.head.length; i += 2) {
        const list = fields.get(stale.head[i]!)
        if (list === undefined) fields.set(stale.head[i]!, [stale.head[i + 1]!])
        else list.push(stale.head[i + 1]!)
      }
      for (const [name, values] of fields) reply.header(name, values.length === 1 ? values[0]! : values)
      reply.code(stale.status)
      if (payload !== null && typeof (payload as { destroy?: unknown }).destroy === 'function') {
        ;(payload as { destroy(): void }).destroy()
      }
      leaders.delete(request)
      leader.failed()
      done(null, Buffer.from(stale.body.buffer, stale.body.byteOffset, stale.body.byteLength))
      return
    }
  }
  for (const [name, value] of leader.headers((n) => headerString(reply.getHeader(n)))) reply.header(name, value)
  const buf = toBuffer(payload)
  if (buf !== undefined) {
    if (reply.statusCode === 200 && !reply.hasHeader('etag') && buf.byteLength <= leader.maxBodySize) {
      reply.header('etag', bodyETag(buf))
    }
    leaders.delete(request)
    leader.complete(captured(request, reply, buf.byteLength > leader.maxBodySize ? undefined : Buffer.from(buf)))
    if (leader.notModified(reply.statusCode, (n) => headerString(reply.getHeader(n)))) {
      // The client revalidated and the full response (captured above) matches: a 304 for it.
      for (const name of NOT_ON_304) reply.removeHeader(name)
      reply.code(304)
      done(null, null)
      return
    }
    done(null, payload)
    return
  }
  if (payload !== null && typeof (payload as NodeJS.ReadableStream).pipe === 'function') {
    // A stream: pass it through, keeping a copy up to the size limit.
    const chunks: Buffer[] = []
    let size = 0
    let overflow = false
    const tap = new PassThrough()
    tap.on('data', (chunk: Buffer) => {
      if (overflow) return
      size += chunk.byteLength
      if (size > leader.maxBodySize) {
        overflow = true
        chunks.length = 0
      } else chunks.push(Buffer.from(chunk))
    })
    tap.on('end', () => {
      leaders.delete(request)
      leader.complete(captured(request, reply, overflow ? undefined : Buffer.concat(chunks, size)))
    })
    ;(payload as NodeJS.ReadableStream).pipe(tap)
    done(null, tap)
    return
  }
  leaders.delete(request)
  leader.complete(undefined)
  done(null, payload)
}

const onResponse: onResponseHookHandler = (request, _reply, done) => {
  const leader = leaders.get(request)
  if (leader !== undefined) {
    leaders.delete(request)
    leader.complete(undefined)
  }
  done()
}

function routeHook(core: RouteCache<FastifyRequest, FastifyReply>): onRequestHookHandler {
  return function cachedRoute(request, reply, done) {
    const pending = core.handle(reply, request, request.method, request.url, request.headers)
    if (!(pending instanceof Promise)) {
      settle(pending)
      return
    }
    pending.then(settle, (err: Error) => done(err))
    function settle(outcome: Awaited<typeof pending>): void {
      if (outcome.kind === 'served') return
      if (outcome.kind === 'leader') {
        for (const name of outcome.strip) {
          if (request.raw.headers[name] !== undefined) delete request.raw.headers[name]
        }
        const rawHeaders = request.raw.rawHeaders
        for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
          if (outcome.strip.includes(rawHeaders[i]!.toLowerCase())) rawHeaders.splice(i, 2)
        }
        leaders.set(request, outcome)
        const own = reply.getHeaders()
        const names = Object.keys(own)
        if (names.length > 0) outerHeaders.set(request, new Map(names.map((n) => [n, headerString(own[n])])))
      } else if (outcome.cacheStatus !== undefined) {
        reply.header('cache-status', outcome.cacheStatus)
      }
      done()
    }
  }
}

function requestHost(request: FastifyRequest): string | undefined {
  return headerString(request.headers.host ?? request.headers[':authority'])
}

/**
 * After an unsafe request through a cached route, invalidation by that
 * route's own settings (its `cache`, its `invalidateOnUnsafe`), as the
 * Express and node:http adapters do.
 */
function unsafeHook(core: RouteCache<FastifyRequest, FastifyReply>): onResponseHookHandler {
  return function cachedRouteUnsafe(request, reply, done) {
    const m = request.method
    if (m !== 'GET' && m !== 'HEAD') {
      core.afterUnsafe(
        m,
        request.url,
        reply.statusCode,
        headerString(reply.getHeader('location')),
        headerString(reply.getHeader('content-location')),
        requestHost(request),
      )
    }
    done()
  }
}

function asArray<T>(hook: T | T[] | undefined): T[] {
  return hook === undefined ? [] : Array.isArray(hook) ? hook : [hook]
}

/**
 * The Fastify plugin. Register it with a cache (and defaults), then opt routes
 * in with `config: { cache: true }` or `config: { cache: { ttl, vary, tags, … } }`.
 * A successful POST, PUT, PATCH or DELETE invalidates the stored responses of its
 * path (RFC 9111 §4.4). On a route with `config.cache`, the route's own options
 * decide (its `cache` and `invalidateOnUnsafe`, each defaulting to the
 * plugin's); on any other route, the plugin's (`invalidateOnUnsafe: false`
 * in the plugin's options turns that off).
 *
 * @example
 * ```ts
 * await app.register(fastifyCache, { cache, ttl: '60s' })
 * app.get('/products', { config: { cache: { tags: ['products'] } } }, async () => listProducts())
 * ```
 */
export const fastifyCache: FastifyPluginCallback<FastifyCacheOptions> = function fastifyCache(
  instance: FastifyInstance,
  options: FastifyCacheOptions,
  done: (err?: Error) => void,
) {
  const { cache, ...defaults } = options
  instance.addHook('onRoute', (route) => {
    const config = route.config?.cache
    if (config === undefined || config === false) return
    const own = config === true ? {} : config
    const core = new RouteCache<FastifyRequest, FastifyReply>(
      { ...defaults, ...own, cache: own.cache ?? cache },
      sender,
    )
    route.onRequest = [...asArray(route.onRequest), routeHook(core)]
    route.onSend = [...asArray(route.onSend), onSend]
    route.onResponse = [...asArray(route.onResponse), onResponse, unsafeHook(core)]
  })
  if (defaults.invalidateOnUnsafe !== false) {
    // Routes without `config.cache` (a POST route beside the cached GET, say)
    // follow the plugin's settings; a route with it has its own hook above.
    instance.addHook('onResponse', function invalidateAfterUnsafe(request, reply, next) {
      const own = request.routeOptions.config?.cache
      if (own === undefined || own === false) {
        const m = request.method
        if (m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS' && reply.statusCode >= 200 && reply.statusCode < 400) {
          // RFC 9111 §4.4: the target, and Location / Content-Location on the same host.
          const tags = unsafeTags(
            request.url,
            requestHost(request),
            headerString(reply.getHeader('location')),
            headerString(reply.getHeader('content-location')),
          )
          cache.invalidateTags(tags).catch(() => {})
        }
      }
      next()
    })
  }
  done()
}
;(fastifyCache as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true
;(fastifyCache as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'cachestack'

/**
 * An `onRequest` hook that sets `Cache-Control` for browsers and CDNs (computed
 * once; the handler may override it). An error response (status 400 or more)
 * is sent without it, so a CDN never keeps an error page for the route's lifetime.
 * @example
 * ```ts
 * app.get('/products', { onRequest: cacheControl({ public: true, maxAge: '1m' }) }, list)
 * ```
 */
export function cacheControl(options: CacheControlOptions): onRequestHookHandler {
  const value = cacheControlValue(options)
  return function cacheControlHeader(_request, reply, done) {
    reply.header('cache-control', value)
    const raw = reply.raw
    const writeHead = raw.writeHead as (this: typeof raw, ...args: unknown[]) => typeof raw
    raw.writeHead = function writeHeadCacheControl(this: typeof raw, status: number, ...rest: unknown[]) {
      // Fastify passes its reply headers here; an error keeps none of ours.
      const headers = rest[rest.length - 1] as Record<string, unknown> | undefined
      if (status >= 400) {
        if (headers !== undefined && typeof headers === 'object' && headers['cache-control'] === value) {
          delete headers['cache-control']
        }
        if (this.getHeader('cache-control') === value) this.removeHeader('cache-control')
      }
      return writeHead.call(this, status, ...rest)
    } as typeof raw.writeHead
    done()
  }
}

/**
 * A plugin serving fingerprinted assets (immutable for a year) and HTML
 * (`no-cache` + ETag) from a manifest, before routing.
 * @example
 * ```ts
 * await app.register(fastifyAssets, { manifest: await fingerprintAssets({ dir: 'public' }) })
 * ```
 */
export const fastifyAssets: FastifyPluginCallback<{ manifest: AssetManifest }> = function fastifyAssets(
  instance,
  options,
  done,
) {
  const manifest = options.manifest
  instance.addHook('onRequest', (request, reply, next) => {
    const out = request.url.startsWith(manifest.prefix)
      ? manifest.respond(request.method, request.url, request.headers)
      : undefined
    if (out === undefined) {
      next()
      return
    }
    reply.hijack()
    reply.raw.writeHead(out.status, out.headers.flat())
    if (out.body === null) reply.raw.end()
    else reply.raw.end(out.body)
  })
  done()
}
;(fastifyAssets as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true

export type { CachedOptions }
