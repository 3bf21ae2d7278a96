/**
 * Route cache keys: method + host + path + sorted query (or the route's own
 * key function) + the values of the headers the route varies on.
 * @module
 */
import { createHash } from 'node:crypto'

/** Keys longer than this are hashed, so any URL fits the cache's key limit. */
const MAX_KEY = 512

/**
 * The URL with its query parameters sorted by name (stable, so repeated
 * names keep their order: `?b=2&a=1&a=0` → `?a=1&a=0&b=2`). The fragment, which
 * a client never sends, is dropped if present.
 */
export function sortedUrl(url: string): string {
  const hash = url.indexOf('#')
  const u = hash === -1 ? url : url.slice(0, hash)
  const q = u.indexOf('?')
  if (q === -1) return u
  const query = u.slice(q + 1)
  if (query.indexOf('&') === -1) return query === '' ? u.slice(0, q) : u
  const parts = query.split('&').filter((p) => p !== '')
  parts.sort(byName)
  return `${u.slice(0, q)}?${parts.join('&')}`
}

function byName(a: string, b: string): number {
  const ea = a.indexOf('=')
  const eb = b.indexOf('=')
  const na = ea === -1 ? a : a.slice(0, ea)
  const nb = eb === -1 ? b : b.slice(0, eb)
  return na < nb ? -1 : na > nb ? 1 : 0
}

/** The path of a request target, without query or fragment. */
export function pathOf(url: string): string {
  const q = url.indexOf('?')
  const h = url.indexOf('#')
  const end = q === -1 ? (h === -1 ? url.length : h) : h === -1 ? q : Math.min(q, h)
  return end === url.length ? url : url.slice(0, end)
}

/**
 * The tag every stored route response carries for its path, so
 * `cache.invalidateTags([pathTag('/products')])` drops every host, query and
 * variant of `/products` in O(1).
 */
export function pathTag(path: string): string {
  return `http:path:${pathOf(path)}`
}

/** Hashes a key that would exceed {@link MAX_KEY}. */
export function fitKey(key: string): string {
  return key.length <= MAX_KEY ? key : `http:#${createHash('sha256').update(key).digest('base64url')}`
}
