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

/**
 * The path tags an unsafe request's success invalidates (RFC 9111 §4.4): its
 * own path, and those of `Location` and `Content-Location` when they name the
 * same host (relative references always do).
 * @param url - the request target (path and query)
 * @param host - the request's `Host` (or `:authority`), if known
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-4.4
 */
export function unsafeTags(
  url: string,
  host: string | undefined,
  location: string | undefined,
  contentLocation: string | undefined,
): string[] {
  const tags = [pathTag(url)]
  const authority = (host ?? '').toLowerCase() || 'route.invalid'
  for (const ref of [location, contentLocation]) {
    if (ref === undefined || ref === '') continue
    let u: URL
    try {
      u = new URL(ref, `http://${authority}${pathOf(url)}`)
    } catch {
      continue
    }
    if (u.host !== authority) continue
    const tag = pathTag(u.pathname)
    if (!tags.includes(tag)) tags.push(tag)
  }
  return tags
}
