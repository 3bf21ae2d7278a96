/**
 * Freshness lifetime, age and the decision to reuse a stored response
 * (RFC 9111 §4.2, RFC 5861). Pure functions over numbers and parsed
 * directives: no clock of their own, no I/O.
 *
 * Why not http-cache-semantics: its age ignores `Date` and the response delay
 * (RFC 9111 §4.2.3's corrected initial age), it treats `proxy-revalidate` as a
 * zero lifetime, invents a 24 h minimum for `immutable`, and forces
 * revalidation of a *fresh* response carrying `must-revalidate` (which only
 * applies once stale, §5.2.2.2).
 * @module
 */
import type { CacheControl } from './cache-control.js'

/**
 * Status codes that are heuristically cacheable (RFC 9110 §15.1): a response
 * with one of them may be given a heuristic lifetime.
 */
export const HEURISTICALLY_CACHEABLE = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501])

/** What freshness needs to know about a response. Times are epoch ms. */
export interface FreshnessInput {
  /** The response's status code. */
  status: number
  /** The parsed response `Cache-Control`. */
  cacheControl: CacheControl
  /** `Date`, parsed (epoch ms). */
  date?: number | undefined
  /** `Expires`: epoch ms, `null` when present but invalid (which means already expired), `undefined` when absent. */
  expires?: number | null | undefined
  /** `Last-Modified`, parsed (epoch ms). */
  lastModified?: number | undefined
}

/** Options of {@link freshnessLifetime}. */
export interface FreshnessOptions {
  /** A shared cache (CDN, proxy, server route cache) reads `s-maxage`. @defaultValue true */
  shared?: boolean
  /**
   * The fraction of (Date − Last-Modified) used as a heuristic lifetime where
   * RFC 9111 §4.2.2 allows one; 0 turns heuristics off. @defaultValue 0.1
   */
  heuristicFraction?: number
  /** The longest heuristic lifetime, seconds. @defaultValue 86400 */
  maxHeuristic?: number
}

/**
 * The freshness lifetime in seconds (RFC 9111 §4.2.1): `s-maxage` (shared),
 * else `max-age`, else `Expires − Date`, else a heuristic (§4.2.2) only for a
 * heuristically cacheable status or `public`, else 0.
 * @returns seconds, and whether the value is heuristic
 */
export function freshnessLifetime(
  res: FreshnessInput,
  options: FreshnessOptions = {},
): { seconds: number; heuristic: boolean } {
  const cc = res.cacheControl
  if ((options.shared ?? true) && cc.sMaxAge !== undefined) return { seconds: cc.sMaxAge, heuristic: false }
  if (cc.maxAge !== undefined) return { seconds: cc.maxAge, heuristic: false }
  if (res.expires !== undefined) {
    if (res.expires === null || res.date === undefined) {
      // §5.3: an invalid Expires ("0") means already expired. Without Date, the
      // recipient's response time stands in for it: callers pass it as `date`.
      return { seconds: 0, heuristic: false }
    }
    return { seconds: Math.max(0, Math.floor((res.expires - res.date) / 1000)), heuristic: false }
  }
  const fraction = options.heuristicFraction ?? 0.1
  if (
    fraction > 0 &&
    res.lastModified !== undefined &&
    res.date !== undefined &&
    (HEURISTICALLY_CACHEABLE.has(res.status) || cc.public === true)
  ) {
    const seconds = Math.floor(((res.date - res.lastModified) / 1000) * fraction)
    return { seconds: Math.max(0, Math.min(seconds, options.maxHeuristic ?? 86400)), heuristic: true }
  }
  return { seconds: 0, heuristic: false }
}

/** What age needs to know about a stored response. Times are epoch ms. */
export interface AgeInput {
  /** The `Age` header value, seconds (0 when absent or invalid). */
  ageValue: number
  /** `Date`, parsed; `undefined` when absent. */
  date: number | undefined
  /** When the request that produced the response was sent (or received, for an origin-side cache). */
  requestTime: number
  /** When the response was received. */
  responseTime: number
}

/**
 * The current age in seconds (RFC 9111 §4.2.3):
 * `corrected_initial_age + resident_time`, where the corrected initial age is
 * the larger of the apparent age (`response_time − date`) and the `Age` value
 * plus the response delay.
 */
export function currentAge(stored: AgeInput, now: number): number {
  const apparentAge = stored.date === undefined ? 0 : Math.max(0, (stored.responseTime - stored.date) / 1000)
  const responseDelay = Math.max(0, (stored.responseTime - stored.requestTime) / 1000)
  const correctedAgeValue = stored.ageValue + responseDelay
  const correctedInitialAge = Math.max(apparentAge, correctedAgeValue)
  const residentTime = Math.max(0, (now - stored.responseTime) / 1000)
  return correctedInitialAge + residentTime
}

/** How a stored response may be used for a request. */
export type Reuse =
  /** Fresh and acceptable to the request: serve it. */
  | 'fresh'
  /** Stale, within `stale-while-revalidate`: serve it and revalidate in the background. */
  | 'stale-while-revalidate'
  /** Stale and acceptable to the request's `max-stale`: serve it. */
  | 'stale-acceptable'
  /** Must be revalidated (or replaced) before use; may still be served if the origin fails and `staleIfError` allows. */
  | 'revalidate'

/** Options of {@link reuse}. */
export interface ReuseOptions {
  /** A shared cache: `s-maxage` and `proxy-revalidate` apply. @defaultValue true */
  shared?: boolean
}

/**
 * Decides whether a stored response can answer a request without contacting
 * the origin (RFC 9111 §4.2, §4.2.4, §5.2.1, §5.2.2; RFC 5861 §3).
 *
 * @param lifetime - the stored response's freshness lifetime, seconds
 * @param age - its current age, seconds
 * @param res - the stored response's `Cache-Control`
 * @param req - the request's `Cache-Control`
 */
export function reuse(
  lifetime: number,
  age: number,
  res: CacheControl,
  req: CacheControl,
  options: ReuseOptions = {},
): Reuse {
  const shared = options.shared ?? true
  // §5.2.2.4 no-cache (unqualified), §5.2.1.4 request no-cache: always validate first.
  if (res.noCache === true || req.noCache !== undefined) return 'revalidate'
  if (req.maxAge !== undefined && age > req.maxAge) return 'revalidate'
  const fresh = lifetime > age
  if (fresh) {
    if (req.minFresh !== undefined && lifetime - age < req.minFresh) return 'revalidate'
    return 'fresh'
  }
  // §4.2.4: never serve stale where a directive forbids it.
  if (mayNotServeStale(res, shared)) return 'revalidate'
  const staleness = age - lifetime
  if (req.maxStale !== undefined && (req.maxStale === true || staleness <= req.maxStale)) return 'stale-acceptable'
  if (res.staleWhileRevalidate !== undefined && staleness < res.staleWhileRevalidate) return 'stale-while-revalidate'
  return 'revalidate'
}

/**
 * Whether a directive forbids serving this response stale (RFC 9111 §4.2.4):
 * `must-revalidate`, or in a shared cache `proxy-revalidate` or `s-maxage`.
 */
export function mayNotServeStale(res: CacheControl, shared = true): boolean {
  return (
    res.mustRevalidate === true ||
    (shared && (res.proxyRevalidate === true || res.sMaxAge !== undefined)) ||
    res.noCache === true
  )
}

/**
 * Whether a stale response may answer when the origin fails (RFC 5861 §4):
 * within the response's `stale-if-error` (or the request's, which may only
 * shorten or lengthen what the client accepts), and not forbidden by §4.2.4.
 */
export function staleIfErrorAllows(
  lifetime: number,
  age: number,
  res: CacheControl,
  req: CacheControl,
  options: ReuseOptions = {},
): boolean {
  if (mayNotServeStale(res, options.shared ?? true)) return false
  const window = req.staleIfError ?? res.staleIfError
  return window !== undefined && age - lifetime <= window
}
