/**
 * The route cache for node:http (and anything with node's `req`/`res`, such
 * as Express and Connect): a `(req, res, next)` middleware, and a wrapper for
 * a plain request listener.
 * @module
 */
import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http'
import type { CachedOptions } from '../../route-cache/options.js'
import { type Leader, NOT_ON_304, RouteCache, type Sender, type StaleAnswer } from '../../route-cache/route-cache.js'
import { bodyETag } from '../../route-cache/stored-response.js'
import { writeStored } from './write-stored.js'

/** A connect-style middleware. */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void

const sender: Sender<ServerResponse> = {
  send(res, status, head, body) {
    writeStored(res, status, head)
    if (body === null) res.end()
    else res.end(body)
  },
}

function headerString(v: OutgoingHttpHeader | undefined): string | undefined {
  if (v === undefined) return undefined
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : String(v)
}

type WriteHeadHeaders = OutgoingHttpHeader[] | Record<string, OutgoingHttpHeader | undefined> | undefined

/**
 * Runs `next` as the leader of a key: hides unkeyed headers from the handler,
 * decorates its response headers and captures status, headers and body.
 * @internal shared with the Express adapter
 */
export function lead(leader: Leader, req: IncomingMessage, res: ServerResponse, next: () => void): void {
  for (const name of leader.strip) {
    if (req.headers[name] !== undefined) delete req.headers[name]
  }
  const rawHeaders = req.rawHeaders
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
    if (leader.strip.includes(rawHeaders[i]!.toLowerCase())) rawHeaders.splice(i, 2)
  }
  // Headers set before the route cache ran belong to outer middleware (CORS,
  // request ids, X-Powered-By): it sets them again on every hit, with that
  // request's values. Store them only where the handler changed them.
  const outer = new Map<string, string | undefined>()
  const outerRaw = new Map<string, number | string | readonly string[]>()
  for (const name of res.getHeaderNames()) {
    const v = res.getHeader(name)
    outer.set(name, headerString(v))
    if (v !== undefined) outerRaw.set(name, v)
  }
  const chunks: Buffer[] = []
  let size = 0
  let overflow = false
  let wroteBefore = false
  const collect = (chunk: unknown, encoding: unknown) => {
    if (overflow || chunk === undefined || chunk === null || typeof chunk === 'function') return
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : Buffer.from((chunk as Uint8Array).buffer, (chunk as Uint8Array).byteOffset, (chunk as Uint8Array).byteLength)
    size += buf.byteLength
    if (size > leader.maxBodySize) {
      overflow = true
      chunks.length = 0
      return
    }
    chunks.push(Buffer.from(buf)) // a copy: the handler may reuse its buffer
  }
  let decorated = false
  /** Set when the client is sent a 304 instead of the full response: what to capture. */
  let fullStatus: number | undefined
  let fullHeaders: [string, string | string[] | number | undefined][] | undefined
  // A compression layer below this one sets Content-Encoding after we see the
  // headers and encodes bytes we never see: what we capture is the identity body.
  let encodingAtHead: string | undefined
  const decorate = () => {
    if (decorated) return
    decorated = true
    for (const [name, value] of leader.headers((n) => headerString(res.getHeader(n)))) res.setHeader(name, value)
  }
  const writeHead = res.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse
  const write = res.write
  const end = res.end
  /** The stored response sent in place of a failed handler's (the route's grace), once its head is written. */
  let replaced: StaleAnswer | undefined
  /**
   * The handler answered ≥ 500 and the route's grace holds an older response:
   * the client gets that one (the outer middleware's headers kept, the
   * handler's dropped) and the handler's body is discarded.
   */
  const replaceWithStale = (r: ServerResponse, status: number): boolean => {
    const stale = leader.stale(status)
    if (stale === undefined) return false
    replaced = stale
    for (const name of r.getHeaderNames()) r.removeHeader(name)
    for (const [name, v] of outerRaw) r.setHeader(name, v)
    const fields = new Map<string, string[]>()
    for (let i = 0; i < stale.head.length; i += 2) {
      const list = fields.get(stale.head[i]!)
      if (list === undefined) fields.set(stale.head[i]!, [stale.head[i + 1]!])
      else list.push(stale.head[i + 1]!)
    }
    for (const [name, values] of fields) r.setHeader(name, values.length === 1 ? values[0]! : values)
    r.statusCode = stale.status
    writeHead.call(r, stale.status)
    return true
  }
  res.writeHead = function writeHeadCaptured(this: ServerResponse, status: number, ...rest: unknown[]) {
    // Headers given to writeHead bypass getHeaders(); move them into setHeader
    // so the captured response sees them.
    const message = typeof rest[0] === 'string' ? rest[0] : undefined
    const headers = (message === undefined ? rest[0] : rest[1]) as WriteHeadHeaders
    if (Array.isArray(headers)) {
      if (Array.isArray(headers[0])) {
        for (const pair of headers as unknown as [string, string][]) this.appendHeader(pair[0], pair[1])
      } else {
        for (let i = 0; i < headers.length; i += 2) this.appendHeader(String(headers[i]), headers[i + 1] as string)
      }
    } else if (headers !== undefined && headers !== null) {
      for (const name of Object.keys(headers)) {
        const v = headers[name]
        if (v !== undefined) this.setHeader(name, v)
      }
    }
    if (status >= 500 && replaceWithStale(this, status)) return this
    this.statusCode = status
    decorate()
    encodingAtHead = headerString(this.getHeader('content-encoding'))
    if (leader.notModified(status, (n) => headerString(this.getHeader(n)))) {
      // The client revalidated and the full response matches: it gets a 304
      // (node drops the body), the cache gets the full 200 captured here.
      fullStatus = status
      const content: [string, string | string[] | number | undefined][] = []
      for (const name of NOT_ON_304) {
        const v = this.getHeader(name)
        if (v !== undefined) content.push([name, v])
        this.removeHeader(name)
      }
      this.statusCode = 304
      const out = writeHead.call(this, 304)
      // Read after the write: outer middleware that hooks writeHead (a session's
      // Set-Cookie) adds its fields there, and they must count as on a 200.
      fullHeaders = [
        ...(Object.entries(this.getHeaders()) as [string, string | string[] | number | undefined][]),
        ...content,
      ]
      return out
    }
    return message === undefined ? writeHead.call(this, status) : writeHead.call(this, status, message)
  } as ServerResponse['writeHead']
  const swallow = (rest: unknown[]): true => {
    // The handler's body is dropped; a write callback it waits on still runs.
    const callback = rest.find((a) => typeof a === 'function') as (() => void) | undefined
    if (callback !== undefined) process.nextTick(callback)
    return true
  }
  res.write = function writeCaptured(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    if (replaced !== undefined) return swallow(rest)
    if (!this.headersSent && this.statusCode >= 500 && replaceWithStale(this, this.statusCode)) return swallow(rest)
    wroteBefore = true
    collect(chunk, rest[0])
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
  } as ServerResponse['write']
  res.end = function endCaptured(this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (replaced === undefined && !this.headersSent && this.statusCode >= 500) replaceWithStale(this, this.statusCode)
    if (replaced !== undefined) {
      const callback = [chunk, ...rest].find((a) => typeof a === 'function') as (() => void) | undefined
      const body = (this.req as IncomingMessage | undefined)?.method === 'HEAD' ? undefined : replaced.body
      return (end as (...a: unknown[]) => ServerResponse).call(this, body, callback)
    }
    collect(chunk, rest[0])
    if (!this.headersSent && !wroteBefore && !overflow && this.statusCode === 200 && !this.hasHeader('etag')) {
      // The whole body is at hand before the headers go: give the first
      // response the ETag later hits will carry.
      this.setHeader('etag', bodyETag(Buffer.concat(chunks, size)))
    }
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest)
  } as ServerResponse['end']
  res.once('finish', () => {
    if (replaced !== undefined) {
      leader.failed()
      return
    }
    let headers =
      fullHeaders ?? (Object.entries(res.getHeaders()) as [string, string | string[] | number | undefined][])
    if (headerString(res.getHeader('content-encoding')) !== encodingAtHead) {
      headers = headers.filter(([name]) => name !== 'content-encoding')
    }
    if (outer.size > 0) {
      headers = headers.filter(([name, value]) => !outer.has(name) || outer.get(name) !== headerString(value))
    }
    leader.complete({
      status: fullStatus ?? res.statusCode,
      headers,
      body: overflow ? undefined : Buffer.concat(chunks, size),
    })
  })
  res.once('close', () => leader.complete(undefined))
  next()
}

/**
 * Creates the route-cache engine for node's request/response.
 * @internal shared with the Express adapter
 */
export function nodeRouteCache<Req extends IncomingMessage>(
  options: CachedOptions<Req>,
  url: (req: Req) => string,
): (req: Req, res: ServerResponse, next: (err?: unknown) => void) => void {
  const core = new RouteCache<Req, ServerResponse>(options, sender)
  return function cachedRoute(req, res, next) {
    const method = req.method ?? 'GET'
    const target = url(req)
    let outcome: ReturnType<typeof core.handle>
    try {
      outcome = core.handle(res, req, method, target, req.headers)
    } catch (err) {
      next(err)
      return
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => settle(o),
        (err: unknown) => next(err),
      )
      return
    }
    settle(outcome)

    function settle(o: Awaited<typeof outcome>): void {
      if (o.kind === 'served') return
      if (o.kind === 'leader') {
        lead(o, req, res, next)
        return
      }
      if (o.cacheStatus !== undefined && !res.headersSent) res.setHeader('cache-status', o.cacheStatus)
      if (method !== 'GET' && method !== 'HEAD') {
        res.once('finish', () =>
          core.afterUnsafe(
            method,
            target,
            res.statusCode,
            headerString(res.getHeader('location')),
            headerString(res.getHeader('content-location')),
            req.headers.host ?? headerString(req.headers[':authority']),
          ),
        )
      }
      next()
    }
  }
}

/**
 * Route caching middleware for node:http and Connect-style stacks: stores the
 * status, headers and body of GET responses in `options.cache`, serves them
 * with a correct `Age`, answers conditional requests with 304, coalesces
 * concurrent misses into one handler run, and keeps the safety rules (see the
 * HTTP guide). For Express use `cachestack/express`, which keys on `originalUrl`.
 *
 * @param options - see {@link CachedOptions}
 * @example
 * ```ts
 * const route = cached({ cache, ttl: '60s', vary: ['accept-language'] })
 * http.createServer((req, res) => route(req, res, () => render(req, res)))
 * ```
 */
export function cached(options: CachedOptions<IncomingMessage>): NodeMiddleware {
  return nodeRouteCache(options, (req) => req.url ?? '/')
}

/**
 * Wraps a node:http request listener with the route cache.
 *
 * @param handler - the listener producing responses on a miss
 * @param options - see {@link CachedOptions}
 * @example
 * ```ts
 * http.createServer(cacheHandler((req, res) => res.end(render()), { cache, ttl: '60s' })).listen(3000)
 * ```
 */
export function cacheHandler(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: CachedOptions<IncomingMessage>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const middleware = cached(options)
  return function cachedHandler(req, res) {
    middleware(req, res, (err) => {
      if (err !== undefined) {
        if (!res.headersSent) res.statusCode = 500
        res.end()
        return
      }
      try {
        handler(req, res)
      } catch {
        if (!res.headersSent) res.statusCode = 500
        res.end()
      }
    })
  }
}

export type { CachedOptions }
