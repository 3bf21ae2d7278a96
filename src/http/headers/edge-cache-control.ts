/**
 * The targeted cache-control fields for shared caches (RFC 9213): one set
 * of options, written as `CDN-Cache-Control`, `Surrogate-Control` and the
 * per-CDN forms, so the edge keeps a response longer (or not at all) while
 * browsers follow `Cache-Control`.
 * @module
 */
import { type Duration, parseDuration } from '../../core/duration.js'
import { invalidOption } from '../../core/errors.js'

/**
 * Which fields to send:
 * - `cdn`: `CDN-Cache-Control` (RFC 9213), read by every CDN that implements it (Cloudflare, Fastly, Akamai…);
 * - `surrogate`: `Surrogate-Control`, Fastly's (and Varnish's) field;
 * - `cloudflare`: `Cloudflare-CDN-Cache-Control`, read by Cloudflare only (wins over `CDN-Cache-Control` there);
 * - `akamai`: `Akamai-Cache-Control`, read by Akamai only.
 * @see https://www.rfc-editor.org/rfc/rfc9213
 */
export type EdgeTarget = 'cdn' | 'surrogate' | 'cloudflare' | 'akamai'

const FIELDS: Record<EdgeTarget, string> = {
  cdn: 'cdn-cache-control',
  surrogate: 'surrogate-control',
  cloudflare: 'cloudflare-cdn-cache-control',
  akamai: 'akamai-cache-control',
}

/** What shared caches may do with a route's responses. Durations are sent as whole seconds. */
export interface EdgeCacheOptions {
  /** How long the edge keeps it fresh. Required unless `noStore`. */
  maxAge?: Duration
  /** How long the edge may serve it stale while it refetches (RFC 5861). */
  staleWhileRevalidate?: Duration
  /** How long the edge may serve it stale while the origin fails (RFC 5861). */
  staleIfError?: Duration
  /** The edge must not store it (browsers still follow `Cache-Control`). */
  noStore?: boolean
  /** The fields to send. @defaultValue ['cdn', 'surrogate'] */
  targets?: readonly EdgeTarget[]
}

const KNOWN = new Set(['maxAge', 'staleWhileRevalidate', 'staleIfError', 'noStore', 'targets'])

/**
 * The header fields for `options`, lower-case names, validated once (call it
 * in a factory, not per request).
 *
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` naming the option
 * @example
 * ```ts
 * edgeCacheHeaders({ maxAge: '1h', staleWhileRevalidate: '1d', targets: ['cdn', 'surrogate', 'cloudflare', 'akamai'] })
 * // [['cdn-cache-control', 'max-age=3600, stale-while-revalidate=86400'],
 * //  ['surrogate-control', 'max-age=3600, stale-while-revalidate=86400'], …]
 * ```
 */
export function edgeCacheHeaders(options: EdgeCacheOptions): [string, string][] {
  if (options === null || typeof options !== 'object') throw invalidOption('cdn', 'an object', options)
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw invalidOption(`cdn.${k}`, `one of ${[...KNOWN].join(', ')}`, k)
  }
  const targets = options.targets ?? ['cdn', 'surrogate']
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => Object.hasOwn(FIELDS, t))) {
    throw invalidOption('cdn.targets', `a non-empty array of ${Object.keys(FIELDS).join(', ')}`, targets)
  }
  let value: string
  if (options.noStore === true) {
    if (
      options.maxAge !== undefined ||
      options.staleWhileRevalidate !== undefined ||
      options.staleIfError !== undefined
    ) {
      throw invalidOption('cdn.noStore', 'alone (it excludes maxAge and the stale windows)', true)
    }
    value = 'no-store'
  } else {
    if (options.maxAge === undefined) throw invalidOption('cdn.maxAge', 'a duration (or set noStore)', undefined)
    const s = (d: Duration, name: string) => Math.floor(parseDuration(d, `cdn.${name}`) / 1000)
    const parts = [`max-age=${s(options.maxAge, 'maxAge')}`]
    if (options.staleWhileRevalidate !== undefined) {
      parts.push(`stale-while-revalidate=${s(options.staleWhileRevalidate, 'staleWhileRevalidate')}`)
    }
    if (options.staleIfError !== undefined) parts.push(`stale-if-error=${s(options.staleIfError, 'staleIfError')}`)
    value = parts.join(', ')
  }
  return [...new Set(targets as readonly EdgeTarget[])].map((t) => [FIELDS[t], value])
}
