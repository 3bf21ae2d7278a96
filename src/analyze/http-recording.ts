/**
 * Recording for node:http and Express (and Connect): one middleware that
 * times each GET and HEAD request to the end of its response, digests the
 * body as it is written (status included, so a 404 and a 200 differ), and
 * reports the route, the URL as the key, and whether the request carried
 * credentials or the response set a cookie.
 * @module
 */
import { type IncomingMessage, ServerResponse } from 'node:http'
import { invalidOption } from '../core/errors.js'
import { DIGEST_START, digestBytes, digestString } from './digest.js'
import type { Recorder } from './recorder.js'
import { isReadMethod, routeName } from './route-name.js'

/** Body bytes (or characters) digested per response; beyond, only the length counts. */
const DIGEST_LIMIT = 65_536

/** The digest of one recorded response's body, as it is written. */
class BodyTap {
  hash = DIGEST_START
  fed = 0

  feed(chunk: unknown): void {
    if (typeof chunk === 'string') {
      if (this.fed < DIGEST_LIMIT) this.hash = digestString(chunk, this.hash)
      this.fed += chunk.length
    } else if (chunk instanceof Uint8Array) {
      if (this.fed < DIGEST_LIMIT) this.hash = digestBytes(chunk, this.hash)
      this.fed += chunk.length
    }
  }
}

/** Recorded responses and their body digests. */
const taps = new WeakMap<ServerResponse, BodyTap>()
let tapInstalled = false

/**
 * Reads the bodies of recorded responses as they are written. `write` and `end` are
 * wrapped once, on `ServerResponse.prototype`, not on each response: a method set on
 * some responses and not others gives them two shapes, and that slowed every response
 * of the process by a fifth in bench/analyze-overhead.ts, sampled or not. A response
 * that is not recorded pays one WeakMap lookup per write.
 */
function installBodyTap(): void {
  if (tapInstalled) return
  tapInstalled = true
  const proto = ServerResponse.prototype
  const write = proto.write as (chunk: unknown, a?: unknown, b?: unknown) => boolean
  const end = proto.end as (chunk?: unknown, a?: unknown, b?: unknown) => ServerResponse
  proto.write = function write_(this: ServerResponse, chunk: unknown, a?: unknown, b?: unknown): boolean {
    taps.get(this)?.feed(chunk)
    return write.call(this, chunk, a, b)
  } as ServerResponse['write']
  proto.end = function end_(this: ServerResponse, chunk?: unknown, a?: unknown, b?: unknown): ServerResponse {
    if (typeof chunk !== 'function') taps.get(this)?.feed(chunk)
    return end.call(this, chunk, a, b)
  } as ServerResponse['end']
}

/** Options of {@link analyze}. */
export interface AnalyzeOptions {
  /**
   * Names the route of a request, called when the response has finished.
   * Return `undefined` to leave the request out.
   * @defaultValue Express's matched route (`req.baseUrl` + `req.route.path`) when there is one, else the path with numbers and ids replaced by `:id`
   */
  route?: (req: IncomingMessage) => string | undefined
  /**
   * Digest response bodies (the first 64 KB, and the length) to judge how long a URL's
   * response stays the same. @defaultValue true
   */
  hashBodies?: boolean
  /** Requests to leave out, decided before anything is measured (health checks, the dashboard). @defaultValue none */
  skip?: (req: IncomingMessage) => boolean
}

interface ExpressLike {
  originalUrl?: string
  baseUrl?: string
  route?: { path?: unknown }
}

/** Normalised names of recent URLs: a URL read again is named without running the patterns again. */
const names = new Map<string, string>()

/** @internal Express's route when it matched one, else the normalised path. */
export function defaultRoute(req: IncomingMessage): string {
  const r = req as IncomingMessage & ExpressLike
  const method = req.method ?? 'GET'
  if (r.route !== undefined && typeof r.route.path === 'string') return `${method} ${r.baseUrl ?? ''}${r.route.path}`
  const url = r.originalUrl ?? req.url ?? '/'
  const key = method === 'GET' ? url : `${method} ${url}`
  let name = names.get(key)
  if (name === undefined) {
    if (names.size >= 4096) names.clear()
    names.set(key, (name = routeName(method, url)))
  }
  return name
}

/** @internal Whether a Node request or response carries credentials. */
export function personalNode(req: IncomingMessage, res: ServerResponse): boolean {
  return req.headers.authorization !== undefined || req.headers.cookie !== undefined || res.hasHeader('set-cookie')
}

/**
 * Middleware for node:http, Express and Connect that records each GET and
 * HEAD request in `recorder`.
 *
 * @param recorder - from {@link createRecorder}
 * @param options - see {@link AnalyzeOptions}
 * @example
 * ```ts
 * const recorder = createRecorder()
 * app.use(analyze(recorder))                                   // Express
 * const record = analyze(recorder)                            // node:http
 * http.createServer((req, res) => record(req, res, () => handler(req, res)))
 * ```
 */
export function analyze(
  recorder: Recorder,
  options: AnalyzeOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  if (recorder === null || typeof recorder?.record !== 'function')
    throw invalidOption('recorder', 'a Recorder', recorder)
  const name = options.route ?? defaultRoute
  const hashBodies = options.hashBodies !== false
  const skip = options.skip
  if (hashBodies) installBodyTap()
  return function cachestackAnalyze(req, res, next) {
    const method = req.method ?? 'GET'
    if (skip?.(req) === true) {
      next()
      return
    }
    const url = (req as IncomingMessage & ExpressLike).originalUrl ?? req.url ?? '/'
    const key = `${method} ${url}`
    const keyDigest = isReadMethod(method) ? recorder.sampledDigest(key) : -1
    if (keyDigest === -1) {
      next()
      return
    }
    const start = performance.now()
    const tap = hashBodies ? new BodyTap() : undefined
    if (tap !== undefined) taps.set(res, tap)
    res.once('finish', () => {
      const route = name(req)
      if (route === undefined) return
      recorder.record(
        {
          kind: 'route',
          name: route,
          key,
          ms: performance.now() - start,
          hash: tap === undefined ? undefined : digestString(`${res.statusCode} ${tap.fed}`, tap.hash),
          personal: personalNode(req, res),
          error: res.statusCode >= 500,
        },
        keyDigest,
      )
    })
    next()
  }
}
