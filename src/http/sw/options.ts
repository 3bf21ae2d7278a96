/**
 * The options of {@link buildServiceWorker}, and their validation into the
 * plain data the runtime reads.
 * @module
 */
import { type Duration, parseDuration } from '../../core/duration.js'
import { invalidOption } from '../../core/errors.js'
import type { AssetManifest } from '../assets/fingerprint.js'

/**
 * How the worker answers the requests of a route.
 * - `cache-first`: the stored copy while it is within `maxAge`, else the network (then stored).
 * - `network-first`: the network, falling back to the stored copy (then the offline page, for a page) when the network fails, answers 5xx or takes longer than `networkTimeout`.
 * - `stale-while-revalidate`: the stored copy at once, refreshed in the background for the next request; the network when there is none (or it is older than `maxAge`).
 * - `network-only`: the network; nothing is stored.
 */
export type SwStrategy = 'cache-first' | 'network-first' | 'stale-while-revalidate' | 'network-only'

const STRATEGIES: readonly SwStrategy[] = ['cache-first', 'network-first', 'stale-while-revalidate', 'network-only']

/** A route of the worker: requests it matches and how they are answered. */
export interface SwRoute {
  /**
   * The requests (same origin, GET) of the route: a path prefix starting with
   * `/` (`'/api/products'` matches `/api/products`, `/api/products/7` and
   * `/api/products?page=2`, not `/api/products-old`), or a regular expression
   * tested against path + query. In JSON (the CLI's `--config`), a string
   * starting with `^` is read as a regular expression.
   */
  match: string | RegExp
  /** How matching requests are answered. */
  strategy: SwStrategy
  /** The runtime cache's name, without the prefix and version. @defaultValue `'runtime'` */
  cache?: string
  /** The oldest stored response served; older ones are fetched again. @defaultValue no limit */
  maxAge?: Duration
  /** The most responses the route's cache holds; the least recently written go first. @defaultValue no limit */
  maxEntries?: number
  /** `network-first`: how long to wait for the network before serving the stored copy. @defaultValue no timeout */
  networkTimeout?: Duration
  /**
   * Store responses marked `Cache-Control: private` too (a signed-in user's
   * pages, in that user's browser). Send `Clear-Site-Data: "cache"` on
   * logout so they go with the session. @defaultValue false
   */
  private?: boolean
}

/** Options of {@link buildServiceWorker}. */
export interface ServiceWorkerOptions {
  /** The fingerprinted assets (from `fingerprintAssets`, or the JSON it writes): all precached. */
  manifest: AssetManifest | Readonly<Record<string, string>>
  /** Which manifest entries to precache, by logical name. @defaultValue all but source maps (`.map`) */
  include?: (name: string) => boolean
  /** More URLs to precache, such as the pages that must open offline (`['/']`). */
  precache?: readonly string[]
  /** The page shown for a navigation that fails with nothing stored for it; precached. @defaultValue none */
  offline?: string
  /** Routes, tried in order after the precached assets. @defaultValue [] */
  routes?: readonly SwRoute[]
  /**
   * How navigations (page loads) no route matched are answered:
   * network-first into the `pages` cache with the offline page as the last
   * resort, or `false` to leave them to the browser.
   * @defaultValue `{ strategy: 'network-first' }`
   */
  navigations?: false | Omit<SwRoute, 'match' | 'cache'>
  /** The prefix of every cache the worker owns (it deletes `<name>-*` caches of other versions). @defaultValue 'cachestack' */
  name?: string
  /** The version in the cache names. @defaultValue a hash of the configuration and the assets' content */
  version?: string
  /** Take control of open pages on first install, so they work offline without a reload. @defaultValue true */
  claim?: boolean
  /** Activate a new version as soon as it is installed, without asking the page. @defaultValue false */
  skipWaiting?: boolean
  /** Start navigation requests while the worker boots (navigation preload). @defaultValue true */
  navigationPreload?: boolean
  /** The URL the worker is served at (by `respond`). @defaultValue '/sw.js' */
  url?: string
}

/** @internal A route as the runtime reads it. */
export interface WorkerRoute {
  prefix?: string
  regexp?: string
  flags?: string
  strategy: SwStrategy
  cache: string
  maxAge: number
  maxEntries: number
  timeout: number
  private: boolean
}

/** @internal The configuration embedded in the worker as `C`. */
export interface WorkerConfig {
  name: string
  version: string
  precache: string[]
  immutable: string[]
  offline: string | null
  routes: WorkerRoute[]
  navigation: Omit<WorkerRoute, 'cache' | 'prefix' | 'regexp' | 'flags'> | false
  claim: boolean
  skipWaiting: boolean
  navigationPreload: boolean
}

const ROUTE_KEYS = new Set(['match', 'strategy', 'cache', 'maxAge', 'maxEntries', 'networkTimeout', 'private'])
const CACHE_NAME = /^[a-z0-9][a-z0-9_.]*$/i

/**
 * @internal A same-origin path: one `/` first (`//host` and `/\host` name another origin),
 * then printable ASCII but `\` (encode the rest, as fingerprintAssets does).
 */
export function checkPath(value: unknown, option: string): string {
  if (typeof value !== 'string' || !/^\/(?![/\\])[!-[\]-~]*$/.test(value)) {
    throw invalidOption(option, 'a same-origin URL path starting with "/"', value)
  }
  return value
}

function count(value: unknown, option: string): number {
  if (value === undefined) return 0
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw invalidOption(option, 'a positive integer', value)
  return value as number
}

function flag(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalidOption(option, 'true or false', value)
  return value
}

/** @internal */
export function resolveRoute(
  route: Partial<SwRoute>,
  at: string,
  navigation = false,
): WorkerRoute | Omit<WorkerRoute, 'cache'> {
  if (route === null || typeof route !== 'object') throw invalidOption(at, 'a route object', route)
  for (const k of Object.keys(route)) {
    if (!ROUTE_KEYS.has(k) || (navigation && (k === 'match' || k === 'cache'))) {
      throw invalidOption(`${at}.${k}`, `one of ${[...ROUTE_KEYS].join(', ')}`, k)
    }
  }
  const strategy = route.strategy ?? (navigation ? 'network-first' : undefined)
  if (!STRATEGIES.includes(strategy as SwStrategy)) {
    throw invalidOption(`${at}.strategy`, `one of ${STRATEGIES.join(', ')}`, strategy)
  }
  const out: Omit<WorkerRoute, 'cache'> & { cache?: string } = {
    strategy: strategy as SwStrategy,
    maxAge: route.maxAge === undefined ? 0 : parseDuration(route.maxAge, `${at}.maxAge`),
    maxEntries: count(route.maxEntries, `${at}.maxEntries`),
    timeout: route.networkTimeout === undefined ? 0 : parseDuration(route.networkTimeout, `${at}.networkTimeout`),
    private: flag(route.private, `${at}.private`, false),
  }
  if (navigation) return out
  const cache = route.cache ?? 'runtime'
  if (typeof cache !== 'string' || !CACHE_NAME.test(cache) || cache === 'precache' || cache === 'pages') {
    throw invalidOption(
      `${at}.cache`,
      'a name of letters, digits, "_" and "." other than "precache" and "pages"',
      cache,
    )
  }
  out.cache = cache
  const match = route.match
  if (match instanceof RegExp) {
    out.regexp = match.source
    out.flags = match.flags.replace(/[gy]/g, '')
  } else if (typeof match === 'string' && match.startsWith('^')) {
    try {
      new RegExp(match)
    } catch {
      throw invalidOption(`${at}.match`, 'a valid regular expression', match)
    }
    out.regexp = match
  } else {
    out.prefix = checkPath(match, `${at}.match`)
  }
  return out as WorkerRoute
}
