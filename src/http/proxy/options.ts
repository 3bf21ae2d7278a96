/**
 * The proxy's options, validated once in {@link createProxy}'s factory.
 * @module
 */
import type { Cache } from '../../core/cache.js'
import type { Clock } from '../../core/clock.js'
import { type Duration, parseDuration, parseSize, type Size } from '../../core/duration.js'
import { invalidOption } from '../../core/errors.js'

/** Options of `createProxy`. */
export interface ProxyOptions {
  /** The origin every request is forwarded to: `http://127.0.0.1:3000` (http or https; a path prefix is kept). */
  origin: string
  /**
   * The cache holding stored responses. Share one Redis-backed cache (with a
   * `redisBus`) between proxy processes and purges reach all of them.
   * @defaultValue `createCache({ tiers: [memoryStore({ maxBytes: maxSize })] })`
   */
  cache?: Cache
  /** The bound of the default memory tier (ignored with `cache`). @defaultValue `'256mb'` */
  maxSize?: Size
  /**
   * The largest response body stored. Larger bodies stream through uncached;
   * the proxy holds at most this much of a body in memory per request.
   * @defaultValue `'10mb'`
   */
  maxObjectSize?: Size
  /**
   * How long a stale response stays stored past its freshness (Varnish's
   * `keep`): for revalidation with its validators, for clients that send
   * `max-stale`, and for `stale-if-error`.
   * @defaultValue `'1h'`
   */
  keep?: Duration
  /**
   * Serve a stale response at once and revalidate it in the background for
   * this long after it goes stale (Varnish's `grace`), when the response
   * itself sets no `stale-while-revalidate`. Never where `must-revalidate`,
   * `proxy-revalidate`, `s-maxage` or `no-cache` forbid serving stale, and
   * never for a response that was never fresh (one with no freshness
   * lifetime at all: no `max-age`, `Expires` or `Last-Modified`), which the
   * origin did not mean to be reused.
   * @defaultValue 0
   */
  grace?: Duration
  /**
   * Serve a stale response for this long after it goes stale when the origin
   * is down or answers 5xx, when the response sets no `stale-if-error`.
   * Like `grace`, never for a response that was never fresh.
   * @defaultValue 0
   */
  staleIfError?: Duration
  /**
   * Targeted cache-control fields (RFC 9213), highest precedence first; the
   * first present and valid one replaces `Cache-Control` and `Expires` for
   * this cache. Add `'surrogate-control'` to obey it too.
   * @defaultValue `['cdn-cache-control']`
   */
  targets?: string[]
  /**
   * Store responses carrying `Set-Cookie`: the stored copy drops the
   * `Set-Cookie` field (only the client that caused the fetch receives it).
   * @defaultValue false: such responses are never stored
   */
  storeSetCookie?: boolean
  /**
   * The fraction of (Date − Last-Modified) used as a heuristic lifetime where
   * RFC 9111 §4.2.2 allows one; 0 turns heuristics off. @defaultValue 0.1
   */
  heuristicFraction?: number
  /**
   * Coalescing across processes: when the cache has a tier with cross-process
   * locks (Redis), the process that leads a miss takes a lock on the URL
   * before fetching, and other processes wait up to this long for its response
   * to appear in the shared tier (woken by the bus when there is one, else
   * polling every 10–100 ms), then serve it (`collapsed`) or fetch the origin
   * themselves. Also the lock's lifetime, so a process that dies holding it
   * delays the others by at most this. Costs a lock round trip per miss (never
   * on a hit); 0 turns it off. Without a lock-capable tier it does nothing.
   * @defaultValue `'5s'`
   */
  collapseWait?: Duration
  /**
   * Whether the request's forwarding fields (`Forwarded`, `X-Forwarded-Host`,
   * `-Proto`, `-Port`, `-Prefix`, …) come from a proxy you trust, such as a TLS
   * terminator in front of this one. `false`: a client's values are dropped
   * before the origin sees them (the proxy sends `X-Forwarded-Proto: http` and
   * sets `X-Forwarded-For` to the client's address alone), since an origin that
   * builds links from them would have a spoofed value stored for everyone, and
   * one that counts addresses would count a spoofed one. `true`: they are
   * passed on (the client's address appended to `X-Forwarded-For`) and the
   * host, scheme, port and prefix fields are part of the cache key. Method and URL overrides
   * (`X-HTTP-Method-Override`, `X-Original-URL`, …) are never sent on a
   * fetch whose answer may be stored.
   * @defaultValue false
   */
  trustForwarded?: boolean
  /**
   * How long the origin may take to send response headers before the request
   * fails (504, or stale-if-error). The body is bounded by `bodyTimeout` instead.
   * @defaultValue `'30s'`
   */
  originTimeout?: Duration
  /**
   * Once the response headers have arrived, how long the origin may stay
   * silent between two pieces of the body before the transfer is cut (the
   * client's connection is then closed, and nothing is stored). Separate from
   * `originTimeout` so a slow or streaming body (server-sent events, long
   * polls) is not cut by the headers' deadline. 0: no limit.
   * @defaultValue `'30s'`
   */
  bodyTimeout?: Duration
  /**
   * The most connections open to the origin at once (an `http(s).Agent`
   * with `keepAlive` and this `maxSockets`). A burst of misses beyond it waits
   * in a queue for a free connection instead of opening one each: the origin
   * sees at most this many concurrent requests from this process, and idle
   * connections are reused. A request still queued after `originTimeout` fails
   * like one the origin did not answer in time (504, or stale-if-error). Every
   * request to the origin holds a connection while it runs: misses,
   * revalidations and pass-through requests alike, including slow uploads and
   * streamed bodies (server-sent events, long polls), so raise it for an
   * origin that keeps many such requests open. `Infinity` removes the cap.
   * @defaultValue 256
   */
  originMaxSockets?: number
  /**
   * The admin token. When set, `POST <adminPath>` with `Authorization: Bearer <token>`
   * purges by URL, prefix or surrogate key. @defaultValue none: the endpoint is off
   */
  adminToken?: string
  /** The admin endpoint's path. @defaultValue `'/.cachestack/purge'` */
  adminPath?: string
  /** The cache's name in `Cache-Status` (RFC 9211). @defaultValue `'cachestack'` */
  name?: string
  /**
   * Told of a fault of the proxy's own (input it failed to foresee, a bug):
   * the request it hit is answered 502 (or cut, when its answer had begun)
   * and the proxy keeps serving; nothing thrown in a request or response
   * handler ends the process. Origin failures are not faults: they answer
   * 502/504 or stale-if-error without calling this.
   * @defaultValue writes one line to stderr with `console.error`
   */
  onError?: (err: unknown) => void
  /** The clock freshness and age read. @defaultValue `Date.now` */
  clock?: Clock
}

/** @internal */
export interface ResolvedProxyOptions {
  origin: URL
  maxSize: number
  maxObjectSize: number
  keep: number
  grace: number
  staleIfError: number
  targets: string[]
  storeSetCookie: boolean
  trustForwarded: boolean
  heuristicFraction: number
  originTimeout: number
  bodyTimeout: number
  originMaxSockets: number
  collapseWait: number
  adminToken: string | undefined
  adminPath: string
  name: string
  onError: (err: unknown) => void
}

const KNOWN = new Set([
  'origin',
  'cache',
  'maxSize',
  'maxObjectSize',
  'keep',
  'grace',
  'staleIfError',
  'targets',
  'storeSetCookie',
  'trustForwarded',
  'heuristicFraction',
  'originTimeout',
  'bodyTimeout',
  'originMaxSockets',
  'collapseWait',
  'adminToken',
  'adminPath',
  'name',
  'clock',
  'onError',
])

/** @internal */
export function resolveProxyOptions(options: ProxyOptions): ResolvedProxyOptions {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw invalidOption(k, `one of ${[...KNOWN].join(', ')}`, k)
  }
  let origin: URL
  try {
    origin = new URL(options.origin)
  } catch {
    throw invalidOption('origin', 'an absolute http(s) URL such as http://127.0.0.1:3000', options.origin)
  }
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:') {
    throw invalidOption('origin', 'an http: or https: URL', options.origin)
  }
  const targets = options.targets ?? ['cdn-cache-control']
  if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) {
    throw invalidOption('targets', 'an array of header names', targets)
  }
  const trustForwarded = options.trustForwarded ?? false
  if (typeof trustForwarded !== 'boolean') throw invalidOption('trustForwarded', 'a boolean', trustForwarded)
  const fraction = options.heuristicFraction ?? 0.1
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
    throw invalidOption('heuristicFraction', 'a number from 0 to 1', fraction)
  }
  const adminPath = options.adminPath ?? '/.cachestack/purge'
  if (typeof adminPath !== 'string' || !adminPath.startsWith('/')) {
    throw invalidOption('adminPath', 'a path starting with /', adminPath)
  }
  if (options.adminToken !== undefined && (typeof options.adminToken !== 'string' || options.adminToken.length < 8)) {
    throw invalidOption('adminToken', 'a string of at least 8 characters', options.adminToken)
  }
  const collapseWait = parseDuration(options.collapseWait ?? '5s', 'collapseWait')
  if (!Number.isFinite(collapseWait))
    throw invalidOption('collapseWait', 'a finite duration such as "5s"', collapseWait)
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw invalidOption('onError', 'a function', options.onError)
  }
  const originMaxSockets = options.originMaxSockets ?? 256
  if (
    typeof originMaxSockets !== 'number' ||
    !(originMaxSockets === Number.POSITIVE_INFINITY || (Number.isInteger(originMaxSockets) && originMaxSockets >= 1))
  ) {
    throw invalidOption('originMaxSockets', 'a whole number of connections, at least 1 (or Infinity)', originMaxSockets)
  }
  return {
    origin,
    maxSize: parseSize(options.maxSize ?? '256mb', 'maxSize'),
    maxObjectSize: parseSize(options.maxObjectSize ?? '10mb', 'maxObjectSize'),
    keep: parseDuration(options.keep ?? '1h', 'keep'),
    grace: parseDuration(options.grace ?? 0, 'grace'),
    staleIfError: parseDuration(options.staleIfError ?? 0, 'staleIfError'),
    targets: targets.map((t) => t.toLowerCase()),
    storeSetCookie: options.storeSetCookie === true,
    trustForwarded,
    heuristicFraction: fraction,
    originTimeout: parseDuration(options.originTimeout ?? '30s', 'originTimeout'),
    bodyTimeout: parseDuration(options.bodyTimeout ?? '30s', 'bodyTimeout'),
    originMaxSockets,
    collapseWait,
    adminToken: options.adminToken,
    adminPath,
    name: options.name ?? 'cachestack',
    onError: options.onError ?? reportToStderr,
  }
}

function reportToStderr(err: unknown): void {
  console.error(`cachestack proxy: request failed inside the proxy (answered 502, still serving): ${String(err)}`)
}
