/**
 * Options of the route cache (`cached()` in every framework), validated once
 * in the factory.
 * @module
 */
import type { Cache } from '../../core/cache.js'
import type { Clock } from '../../core/clock.js'
import { type Duration, parseDuration, parseSize, type Size } from '../../core/duration.js'
import { invalidOption } from '../../core/errors.js'
import { type EdgeCacheOptions, edgeCacheHeaders } from '../headers/edge-cache-control.js'

/**
 * Options of `cached()`. `Req` is the framework's request (node's
 * `IncomingMessage`, Express's `Request`, Fastify's `FastifyRequest`, Hono's `Context`).
 */
export interface CachedOptions<Req> {
  /** The cache responses are stored in. A cache with a Redis tier shares the route cache across processes. */
  cache: Cache
  /**
   * How long a stored response stays fresh. A handler's `s-maxage` overrides
   * it (it is addressed to shared caches such as this one); `max-age` and
   * `Expires` are used only when `ttl` is not given. With neither, nothing is stored.
   * @defaultValue from the response's `s-maxage`, `max-age` or `Expires`
   */
  ttl?: Duration
  /**
   * How long after `ttl` a stored response remains in the cache as a fallback:
   * when the handler fails (status ≥ 500, or a throw the framework turns into
   * one) within that time, the stored response is sent instead, to that
   * request and to those waiting on it (RFC 5861 stale-if-error); nothing is
   * stored from the failure. @defaultValue the cache's `grace`
   * @see https://www.rfc-editor.org/rfc/rfc5861#section-4
   */
  grace?: Duration
  /**
   * Replaces path + sorted query in the key. Method, host, the `vary` headers
   * and (for private routes) the user are always added to what it returns.
   * @defaultValue the request path with its query parameters sorted by name
   */
  key?: (req: Req) => string
  /**
   * Request headers that select a response, lower-case (for example
   * `['accept-language']`). They are keyed on and added to the response's `Vary`.
   * The handler's own `Vary` is honoured too (with secondary keys).
   * @defaultValue []
   */
  vary?: readonly string[]
  /**
   * Tags for every response of the route, for `cache.invalidateTags`. Every
   * response is also tagged with its path (see `pathTag`).
   */
  tags?: readonly string[] | ((req: Req) => readonly string[])
  /**
   * Cache per user. `true`: the key includes a hash of the request's
   * `Authorization` and `Cookie`; a function: the key includes what it returns
   * (a user id), and a request for which it returns `undefined` is not cached.
   * Responses are sent with `Cache-Control: private`. @defaultValue false
   */
  private?: boolean | ((req: Req) => string | undefined)
  /**
   * Declares that the route's response is the same for every user, so
   * requests carrying `Authorization` or `Cookie` may be answered from (and
   * stored in) the shared entry. Requires `vary` to be given, naming what does
   * vary (an empty array when nothing does). @defaultValue false
   */
  public?: boolean
  /** Status codes that are stored. @defaultValue [200, 203, 204, 300, 301, 308, 404, 410] */
  statuses?: readonly number[]
  /** The largest body stored; a larger (or streamed longer) body is sent but not stored. @defaultValue '1mb' */
  maxBodySize?: Size
  /**
   * More request headers to hide from the handler on a cacheable miss (added to
   * `UNKEYED_HEADERS`). A header listed in `vary` is keyed instead of hidden.
   */
  unkeyedHeaders?: readonly string[]
  /**
   * Send the route's tags as `Surrogate-Key` (Fastly, Akamai) and `Cache-Tag`
   * (Cloudflare) so a CDN can purge by the same tags. @defaultValue false
   */
  surrogateKeys?: boolean
  /**
   * What CDNs and other shared caches may do, sent as `CDN-Cache-Control`
   * (RFC 9213), `Surrogate-Control` and, by `targets`, the per-CDN forms, so
   * the edge can keep a response longer than browsers (or not at all) with
   * one option. Added to responses that do not already carry the field; never
   * to private routes nor to `private` or `no-store` responses.
   * @defaultValue none
   * @example `cached({ cache, ttl: '1m', cdn: { maxAge: '1h', staleWhileRevalidate: '1d', targets: ['cdn', 'surrogate', 'cloudflare', 'akamai'] } })`
   */
  cdn?: EdgeCacheOptions
  /**
   * The cache name in the `Cache-Status` header (RFC 9211), or `false` for no header.
   * @defaultValue 'cachestack'
   */
  cacheStatus?: string | false
  /**
   * After a successful POST, PUT, PATCH or DELETE through this middleware,
   * invalidate every stored response of that path (RFC 9111 §4.4). @defaultValue true
   */
  invalidateOnUnsafe?: boolean
  /** The clock Age is computed with; pass the cache's clock in tests. @defaultValue `Date.now` */
  clock?: Clock
}

/** @internal */
export interface ResolvedRouteOptions<Req> {
  cache: Cache
  ttl: number | undefined
  grace: number | undefined
  key: ((req: Req) => string) | undefined
  vary: readonly string[]
  tags: readonly string[] | ((req: Req) => readonly string[]) | undefined
  private: boolean | ((req: Req) => string | undefined)
  public: boolean
  statuses: ReadonlySet<number>
  maxBodySize: number
  strip: readonly string[]
  surrogateKeys: boolean
  cdn: readonly [string, string][]
  cacheStatus: string | false
  invalidateOnUnsafe: boolean
  clock: Clock | undefined
}

const KNOWN = new Set([
  'cache',
  'ttl',
  'grace',
  'key',
  'vary',
  'tags',
  'private',
  'public',
  'statuses',
  'maxBodySize',
  'unkeyedHeaders',
  'surrogateKeys',
  'cdn',
  'cacheStatus',
  'invalidateOnUnsafe',
  'clock',
])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/

function headerList(value: unknown, option: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && TOKEN.test(v.toLowerCase()))) {
    throw invalidOption(option, 'an array of header names', value)
  }
  return [...new Set(value.map((v: string) => v.toLowerCase()))].sort()
}

/** @internal */
export function resolveRouteOptions<Req>(
  options: CachedOptions<Req>,
  unkeyed: readonly string[],
): ResolvedRouteOptions<Req> {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw invalidOption(k, `one of the options ${[...KNOWN].join(', ')}`, k)
  }
  const cache = options.cache
  if (cache === null || typeof cache !== 'object' || typeof cache.getOrSet !== 'function') {
    throw invalidOption('cache', 'a cachestack cache (createCache(...))', cache)
  }
  if (options.key !== undefined && typeof options.key !== 'function') {
    throw invalidOption('key', 'a function of the request returning a string', options.key)
  }
  const vary = options.vary === undefined ? [] : headerList(options.vary, 'vary')
  const tags = options.tags
  if (tags !== undefined && typeof tags !== 'function' && !Array.isArray(tags)) {
    throw invalidOption('tags', 'an array of strings or a function of the request', tags)
  }
  const priv = options.private ?? false
  if (typeof priv !== 'boolean' && typeof priv !== 'function') {
    throw invalidOption('private', 'a boolean or a function of the request returning a user id', priv)
  }
  const pub = options.public ?? false
  if (typeof pub !== 'boolean') throw invalidOption('public', 'a boolean', pub)
  if (pub && options.vary === undefined) {
    throw invalidOption(
      'vary',
      'given when public is true: name the request headers the response varies on ([] when none), so a request with Authorization or Cookie can safely share the entry',
      undefined,
    )
  }
  if (pub && priv !== false)
    throw invalidOption('public', 'false when private is set (a route is one or the other)', pub)
  const statuses = options.statuses ?? [200, 203, 204, 300, 301, 308, 404, 410]
  if (!Array.isArray(statuses) || !statuses.every((s) => Number.isInteger(s) && s >= 200 && s < 600)) {
    throw invalidOption('statuses', 'an array of status codes (200–599)', statuses)
  }
  const extra = options.unkeyedHeaders === undefined ? [] : headerList(options.unkeyedHeaders, 'unkeyedHeaders')
  const strip = [...new Set([...unkeyed, ...extra])].filter((h) => !vary.includes(h))
  const cacheStatus = options.cacheStatus ?? 'cachestack'
  if (cacheStatus !== false && (typeof cacheStatus !== 'string' || cacheStatus === '')) {
    throw invalidOption('cacheStatus', 'a cache name or false', cacheStatus)
  }
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
    throw invalidOption('clock', 'an object with a now() method', options.clock)
  }
  return {
    cache,
    ttl: options.ttl === undefined ? undefined : parseDuration(options.ttl, 'ttl'),
    grace: options.grace === undefined ? undefined : parseDuration(options.grace, 'grace'),
    key: options.key,
    vary,
    tags,
    private: priv,
    public: pub,
    statuses: new Set(statuses),
    maxBodySize: options.maxBodySize === undefined ? 1024 * 1024 : parseSize(options.maxBodySize, 'maxBodySize'),
    strip,
    surrogateKeys: options.surrogateKeys ?? false,
    cdn: options.cdn === undefined ? [] : edgeCacheHeaders(options.cdn),
    cacheStatus,
    invalidateOnUnsafe: options.invalidateOnUnsafe ?? true,
    clock: options.clock,
  }
}
