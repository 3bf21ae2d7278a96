/**
 * Targeted cache-control fields (RFC 9213): `CDN-Cache-Control`, and
 * `Surrogate-Control` where configured, which a shared cache obeys instead of
 * `Cache-Control` and `Expires`.
 * @module
 */
import { type CacheControl, parseCacheControl } from './cache-control.js'
import { getHeader, type HeadersLike } from './headers.js'

/**
 * The directives of the first targeted field (in `targets` order) present
 * and valid on a response, or `undefined` when none is, in which case
 * `Cache-Control` and `Expires` apply (RFC 9213 §2.1).
 *
 * A field is valid when it parses to at least one directive: RFC 9213 §2.1 has
 * a cache fall back to `Cache-Control` when the targeted field is invalid.
 *
 * @param headers - the response header fields
 * @param targets - lower-case field names, highest precedence first (e.g. `['cdn-cache-control']`)
 * @see https://www.rfc-editor.org/rfc/rfc9213#section-2.1
 * @example
 * ```ts
 * targetedCacheControl({ 'cdn-cache-control': 'max-age=600' }, ['cdn-cache-control']) // { maxAge: 600 }
 * ```
 */
export function targetedCacheControl(headers: HeadersLike, targets: readonly string[]): CacheControl | undefined {
  for (const name of targets) {
    const value = getHeader(headers, name)
    if (value === undefined) continue
    const cc = parseCacheControl(value)
    if (Object.keys(cc).length > 0 && !(Object.keys(cc).length === 1 && cc.extensions !== undefined)) return cc
  }
  return undefined
}
