/**
 * Building the `Cache-Control` a browser or CDN should see, from named
 * options with durations, validated once.
 * @module
 */
import { type Duration, parseDuration } from '../../core/duration.js'
import { CacheError, invalidOption } from '../../core/errors.js'
import { type CacheControl, serializeCacheControl } from '../semantics/cache-control.js'

/**
 * What browsers and CDNs may do with a response. Durations are milliseconds or
 * strings such as `'5m'`; they are sent as whole seconds.
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2
 */
export interface CacheControlOptions {
  /** Any cache (CDN, proxy, browser) may store it, even for an authenticated request. */
  public?: boolean
  /** Only the user's browser may store it. */
  private?: boolean
  /** Fresh for this long (`max-age`). */
  maxAge?: Duration
  /** Fresh for this long in shared caches such as CDNs (`s-maxage`); overrides `maxAge` there. */
  sMaxAge?: Duration
  /** Serve stale this long while revalidating in the background (RFC 5861). */
  staleWhileRevalidate?: Duration
  /** Serve stale this long when the origin fails (RFC 5861). */
  staleIfError?: Duration
  /** The content never changes while fresh (RFC 8246): browsers skip revalidation on reload. */
  immutable?: boolean
  /** Store nothing, anywhere. Excludes every other option. */
  noStore?: boolean
  /** Store, but revalidate before every reuse (`no-cache`; pair with an ETag). */
  noCache?: boolean
  /** Once stale, never serve without revalidation. */
  mustRevalidate?: boolean
}

const KNOWN = new Set([
  'public',
  'private',
  'maxAge',
  'sMaxAge',
  'staleWhileRevalidate',
  'staleIfError',
  'immutable',
  'noStore',
  'noCache',
  'mustRevalidate',
])

function seconds(value: Duration | undefined, option: string): number | undefined {
  return value === undefined ? undefined : Math.floor(parseDuration(value, option) / 1000)
}

/**
 * The `Cache-Control` value for `options`. Contradictions are errors, not
 * guesses: `public` with `private`, and `noStore` with anything else.
 *
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` naming the contradiction
 * @example
 * ```ts
 * cacheControlValue({ public: true, maxAge: '365d', immutable: true }) // 'public, max-age=31536000, immutable'
 * cacheControlValue({ public: true, maxAge: '1m', sMaxAge: '1h', staleWhileRevalidate: '1d' })
 * // 'public, max-age=60, s-maxage=3600, stale-while-revalidate=86400'
 * ```
 */
export function cacheControlValue(options: CacheControlOptions): string {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw invalidOption(k, `one of ${[...KNOWN].join(', ')}`, k)
  }
  if (options.public === true && options.private === true) {
    throw new CacheError(
      'ERR_CACHE_INVALID_OPTION',
      'Options "public" and "private" contradict each other: choose one.',
    )
  }
  if (options.noStore === true) {
    const others = Object.keys(options).filter(
      (k) => k !== 'noStore' && (options as Record<string, unknown>)[k] !== undefined,
    )
    if (others.length > 0) {
      throw new CacheError(
        'ERR_CACHE_INVALID_OPTION',
        `Option "noStore" excludes every other option; remove ${others.map((o) => `"${o}"`).join(', ')}.`,
      )
    }
    return 'no-store'
  }
  const cc: CacheControl = {}
  if (options.public === true) cc.public = true
  if (options.private === true) cc.private = true
  if (options.noCache === true) cc.noCache = true
  const maxAge = seconds(options.maxAge, 'maxAge')
  if (maxAge !== undefined) cc.maxAge = maxAge
  const sMaxAge = seconds(options.sMaxAge, 'sMaxAge')
  if (sMaxAge !== undefined) cc.sMaxAge = sMaxAge
  if (options.mustRevalidate === true) cc.mustRevalidate = true
  if (options.immutable === true) cc.immutable = true
  const swr = seconds(options.staleWhileRevalidate, 'staleWhileRevalidate')
  if (swr !== undefined) cc.staleWhileRevalidate = swr
  const sie = seconds(options.staleIfError, 'staleIfError')
  if (sie !== undefined) cc.staleIfError = sie
  return serializeCacheControl(cc)
}

/** The header for fingerprinted assets: stored anywhere for a year, never revalidated. */
export const IMMUTABLE_ASSET = 'public, max-age=31536000, immutable'
/** The header for HTML and other entry points: stored, but revalidated (with the ETag) on every use. */
export const REVALIDATE = 'no-cache'
