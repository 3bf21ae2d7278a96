/**
 * Whether a response may be stored (RFC 9111 §3, §3.5, §5.2).
 * @module
 */
import type { CacheControl } from './cache-control.js'
import { HEURISTICALLY_CACHEABLE } from './freshness.js'

/**
 * Status codes this library understands for storage (RFC 9111 §3: "the
 * response status code is final and ... understood by the cache"). 206 is
 * left out: storing partial content needs range assembly, which this cache
 * does not do. 304 is not stored either: it updates a stored response
 * instead (§4.3.4).
 */
export const UNDERSTOOD_STATUSES = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501])

/** What storability needs to know. */
export interface StorableInput {
  /** The request method. */
  method: string
  /** The request's parsed `Cache-Control`. */
  requestCacheControl: CacheControl
  /** Whether the request carries `Authorization`. */
  authorization: boolean
  /** The response status. */
  status: number
  /** The response's parsed `Cache-Control`. */
  cacheControl: CacheControl
  /** Whether the response has an `Expires` field (valid or not). */
  hasExpires: boolean
  /** The parsed response `Vary`. */
  vary: readonly string[] | '*'
}

/** Why a response may not be stored, or `undefined` when it may. */
export type NotStorableReason =
  | 'method'
  | 'status'
  | 'no-store'
  | 'private'
  | 'authorization'
  | 'no-freshness'
  | 'vary-star'

/**
 * Checks RFC 9111 §3's conditions for storing a response.
 *
 * Stricter than the RFC in two places, both on the side of safety: a
 * qualified `private="field"` is treated as unqualified by a shared cache
 * (removing named fields from a stored response is legal but easy to get
 * wrong), and `Vary: *` is not stored (it could never be reused).
 *
 * @param input - the request and response facts
 * @param shared - a shared cache (CDN, proxy, server-side route cache) or a private one (a browser, `cachedFetch`)
 * @returns `undefined` when storable, else the first reason it is not
 */
export function notStorableReason(input: StorableInput, shared: boolean): NotStorableReason | undefined {
  if (input.method !== 'GET' && input.method !== 'HEAD') return 'method'
  if (!UNDERSTOOD_STATUSES.has(input.status)) return 'status'
  const cc = input.cacheControl
  if (cc.noStore === true || input.requestCacheControl.noStore === true) return 'no-store'
  if (shared && cc.private !== undefined) return 'private'
  // §3.5: a shared cache stores a response to an authenticated request only when
  // must-revalidate, public or s-maxage says it may.
  if (shared && input.authorization && cc.mustRevalidate !== true && cc.public !== true && cc.sMaxAge === undefined) {
    return 'authorization'
  }
  if (input.vary === '*') return 'vary-star'
  const explicit =
    input.hasExpires ||
    cc.maxAge !== undefined ||
    (shared && cc.sMaxAge !== undefined) ||
    cc.public === true ||
    (!shared && cc.private !== undefined) ||
    HEURISTICALLY_CACHEABLE.has(input.status)
  return explicit ? undefined : 'no-freshness'
}

/** Whether a response may be stored (RFC 9111 §3); see {@link notStorableReason}. */
export function isStorable(input: StorableInput, shared: boolean): boolean {
  return notStorableReason(input, shared) === undefined
}
