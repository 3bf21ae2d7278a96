/**
 * Conditional requests on the cache side (RFC 9110 §8.8.3, §13.1.2, §13.1.3,
 * §13.2.2): entity-tag parsing and comparison, and whether a stored response
 * answers `If-None-Match` / `If-Modified-Since` with 304.
 * @module
 */
import { getHeader, type HeadersLike, parseHttpDate } from './headers.js'

/** A parsed entity-tag. */
export interface EntityTag {
  /** `W/` was present. */
  weak: boolean
  /** The opaque tag, without quotes. */
  tag: string
}

const ETAG = /^\s*(W\/)?"([^"]*)"\s*$/

/** Parses one entity-tag (`"xyz"` or `W/"xyz"`), or `undefined` when malformed. */
export function parseETag(value: string | undefined): EntityTag | undefined {
  if (value === undefined) return undefined
  const m = ETAG.exec(value)
  return m === null ? undefined : { weak: m[1] !== undefined, tag: m[2]! }
}

/**
 * Strong comparison (§8.8.3.2): both strong and the same opaque tag.
 * Used by `If-Match` and range requests.
 */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.tag === b.tag
}

/** Weak comparison (§8.8.3.2): the same opaque tag, weak or not. Used by `If-None-Match`. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.tag === b.tag
}

/**
 * Whether an `If-None-Match` value matches the current entity-tag using weak
 * comparison (§13.1.2). `*` matches any current representation. Malformed
 * members are skipped, never matched.
 */
export function ifNoneMatchMatches(header: string, etag: string | undefined): boolean {
  const trimmed = header.trim()
  if (trimmed === '*') return true
  const current = parseETag(etag)
  if (current === undefined) return false
  // Split on commas outside quotes: an opaque tag may not hold '"' but may hold ','.
  let i = 0
  const n = trimmed.length
  while (i < n) {
    const q = trimmed.indexOf('"', i)
    if (q === -1) break
    const end = trimmed.indexOf('"', q + 1)
    if (end === -1) break
    if (trimmed.slice(q + 1, end) === current.tag) return true
    i = end + 1
  }
  return false
}

/** The validators of a stored or current response. */
export interface Validators {
  /** The `ETag` field value. */
  etag?: string | undefined
  /** The `Last-Modified` field value. */
  lastModified?: string | undefined
}

/**
 * Whether a GET/HEAD request's preconditions let the cache answer 304 Not
 * Modified (§13.2.2 steps 3–4): `If-None-Match` when present (weak
 * comparison), else `If-Modified-Since` against `Last-Modified`.
 */
export function isNotModified(method: string, request: HeadersLike, validators: Validators): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false
  const inm = getHeader(request, 'if-none-match')
  if (inm !== undefined) return ifNoneMatchMatches(inm, validators.etag)
  const ims = getHeader(request, 'if-modified-since')
  if (ims === undefined || validators.lastModified === undefined) return false
  const since = parseHttpDate(ims)
  const modified = parseHttpDate(validators.lastModified)
  return since !== undefined && modified !== undefined && modified <= since
}

/**
 * Header fields a 304 carries from the stored 200 (RFC 9110 §15.4.5): those
 * that would have been sent in a 200, minus the content's own.
 */
export const RETAINED_304_HEADERS = [
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
  'last-modified',
] as const
