/**
 * The route cache for Hono, on web-standard Request and Response.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import type { AssetManifest } from '../../assets/fingerprint.js'
import { readUpTo } from '../../fetch/read-up-to.js'
import { type CacheControlOptions, cacheControlValue } from '../../headers/cache-control-header.js'
import type { CachedOptions } from '../../route-cache/options.js'
import { type Captured, type Leader, NOT_ON_304, RouteCache, type Sender } from '../../route-cache/route-cache.js'
import { bodyETag } from '../../route-cache/stored-response.js'

const sender: Sender<Context> = {
  send(c, status, head, body) {
    // A plain record, not a Headers: @hono/node-server writes a record straight
    // to node's response without building a Headers object.
    // No prototype: a response field named `constructor` is a field like any other.
    const headers = Object.create(null) as Record<string, string>
    for (let i = 0; i < head.length; i += 2) {
      const name = head[i]!
      const prev = headers[name]
      headers[name] = prev === undefined ? head[i + 1]! : `${prev}, ${head[i + 1]!}`
    }
    c.res = new Response(body as ConstructorParameters<typeof Response>[0], { status, headers })
  },
}

/** On @hono/node-server, node's request: its headers are read without materializing a `Headers`. */
function incomingOf(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined
  const incoming = env?.incoming
  return incoming !== undefined && typeof incoming === 'object' && typeof incoming.headers === 'object'
    ? incoming
    : undefined
}

/** The path and query of a Request URL (`http://host/a?b` → `/a?b`). */
function target(url: string): string {
  const scheme = url.indexOf('://')
  const slash = url.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  return slash === -1 ? '/' : url.slice(slash)
}

async function lead(leader: Leader, c: Context, next: () => Promise<void>): Promise<void> {
  let raw = c.req.raw
  const present = leader.strip.some((h) => raw.headers.has(h))
  const incoming = incomingOf(c)
  if (incoming !== undefined) {
    // node's request too: a handler may read it, and @hono/node-server builds headers from it lazily
    for (const h of leader.strip) if (incoming.headers[h] !== undefined) delete incoming.headers[h]
    const rawHeaders = incoming.rawHeaders
    for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
      if (leader.strip.includes(rawHeaders[i]!.toLowerCase())) rawHeaders.splice(i, 2)
    }
  }
  if (present) {
    const headers = new Headers(raw.headers)
    for (const h of leader.strip) headers.delete(h)
    raw = new Request(raw, { headers })
    c.req.raw = raw
  }
  try {
    await next()
  } catch (err) {
    leader.complete(undefined)
    throw err
  }
  const res = c.res
  if (res.status >= 500) {
    const stale = leader.stale(res.status)
    if (stale !== undefined) {
      // The handler failed and the route's grace holds an older response: send that one.
      await res.body?.cancel()
      const head = new Headers()
      for (let i = 0; i < stale.head.length; i += 2) head.append(stale.head[i]!, stale.head[i + 1]!)
      // Unset first: Hono merges the previous response's headers into a new one.
      c.res = undefined as unknown as Response
      c.res = new Response(stale.body as ConstructorParameters<typeof Response>[0], {
        status: stale.status,
        headers: head,
      })
      leader.failed()
      return
    }
  }
  const headers = new Headers(res.headers)
  for (const [name, value] of leader.headers((n) => headers.get(n) ?? undefined)) headers.set(name, value)
  const status = res.status
  const tuples = (): [string, string][] => {
    const out: [string, string][] = []
    headers.forEach((v, k) => {
      if (k !== 'set-cookie') out.push([k, v])
    })
    for (const cookie of headers.getSetCookie()) out.push(['set-cookie', cookie])
    return out
  }
  if (res.body === null) {
    c.res = new Response(null, { status, statusText: res.statusText, headers })
    leader.complete({ status, headers: tuples(), body: new Uint8Array(0) })
    return
  }
  if (leader.conditional && status === 200) {
    // A revalidating client: read the response first (up to maxBodySize), so
    // its ETag is known, and answer 304 when it matches; the cache gets the full response.
    const read = await readUpTo(res.body, leader.maxBodySize)
    if (read.rest !== undefined) {
      // Too large to keep: sent as it is, not stored.
      c.res = new Response(read.rest, { status, statusText: res.statusText, headers })
      leader.complete(undefined)
      return
    }
    const body = read.body
    if (!headers.has('etag')) headers.set('etag', bodyETag(body))
    if (leader.notModified(status, (n) => headers.get(n) ?? undefined)) {
      const head304 = new Headers(headers)
      for (const name of NOT_ON_304) head304.delete(name)
      // Unset first: Hono would merge the full response's headers (Content-Length) back in.
      c.res = undefined as unknown as Response
      c.res = new Response(null, { status: 304, headers: head304 })
    } else {
      c.res = new Response(body, { status, statusText: res.statusText, headers })
    }
    leader.complete({ status, headers: tuples(), body })
    return
  }
  const [toClient, toCache] = res.body.tee()
  c.res = new Response(toClient, { status, statusText: res.statusText, headers })
  void capture(toCache, leader.maxBodySize).then(
    (body) => leader.complete({ status, headers: tuples(), body } satisfies Captured),
    () => leader.complete(undefined),
  )
}

async function capture(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | undefined> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}

/**
 * Route caching middleware for Hono. See {@link CachedOptions} and the HTTP
 * guide for the rules it keeps. Functions in the options receive Hono's `Context`.
 *
 * @param options - `{ cache, ttl, key?, vary?, tags?, private?, public?, statuses?, … }`
 * @example
 * ```ts
 * app.get('/products', cached({ cache, ttl: '60s', tags: ['products'] }), (c) => c.json(products))
 * ```
 */
export function cached(options: CachedOptions<Context>): MiddlewareHandler {
  const core = new RouteCache<Context, Context>(options, sender)
  return async function cachedRoute(c, next) {
    const incoming = incomingOf(c)
    const method = incoming?.method ?? c.req.method
    const url = incoming?.url ?? target(c.req.url)
    const pending = core.handle(c, c, method, url, incoming?.headers ?? c.req.raw.headers)
    const outcome = pending instanceof Promise ? await pending : pending
    if (outcome.kind === 'served') return
    if (outcome.kind === 'leader') return lead(outcome, c, next)
    await next()
    if (outcome.cacheStatus !== undefined) {
      try {
        c.res.headers.set('cache-status', outcome.cacheStatus)
      } catch {
        // an immutable Response (from fetch): leave it as it is
      }
    }
    if (method !== 'GET' && method !== 'HEAD') {
      const h = c.res.headers
      core.afterUnsafe(
        method,
        url,
        c.res.status,
        h.get('location') ?? undefined,
        h.get('content-location') ?? undefined,
      )
    }
  }
}

/**
 * Sets `Cache-Control` for browsers and CDNs on responses that have none
 * (computed once), except error responses (status 400 or more), so a CDN
 * never keeps an error page for the route's lifetime.
 * @example
 * ```ts
 * app.get('/products', cacheControl({ public: true, maxAge: '1m', staleWhileRevalidate: '1d' }), (c) => c.json(list))
 * ```
 */
export function cacheControl(options: CacheControlOptions): MiddlewareHandler {
  const value = cacheControlValue(options)
  return async function cacheControlHeader(c, next) {
    await next()
    if (c.res.status < 400 && !c.res.headers.has('cache-control')) {
      try {
        c.res.headers.set('cache-control', value)
      } catch {
        c.res = new Response(c.res.body, c.res)
        c.res.headers.set('cache-control', value)
      }
    }
  }
}

/**
 * Serves fingerprinted assets (immutable for a year) and HTML (`no-cache` + ETag) from a manifest.
 * @example
 * ```ts
 * app.use(serveAssets(await fingerprintAssets({ dir: 'public' })))
 * ```
 */
export function serveAssets(manifest: AssetManifest): MiddlewareHandler {
  return async function assets(c, next) {
    const path = target(c.req.url)
    const out = path.startsWith(manifest.prefix) ? manifest.respond(c.req.method, path, c.req.raw.headers) : undefined
    if (out === undefined) return next()
    return new Response(out.body as ConstructorParameters<typeof Response>[0], {
      status: out.status,
      headers: out.headers,
    })
  }
}

export type { CachedOptions }
