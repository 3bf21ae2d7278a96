/**
 * Invalidation after unsafe requests (RFC 9111 §4.4): which stored URLs a
 * response to POST, PUT, DELETE (or any method not known to be safe) makes
 * the cache drop.
 * @module
 */

/** Methods RFC 9110 §9.2.1 defines as safe: they never invalidate. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/**
 * The absolute URLs whose stored responses must be invalidated after an
 * unsafe request got a non-error response (RFC 9111 §4.4): the target URI,
 * and the `Location` and `Content-Location` URIs when they share its origin
 * (a cache must not invalidate other origins' URLs, to avoid denial of service).
 *
 * @param method - the request method
 * @param status - the response status; only 2xx and 3xx invalidate
 * @param target - the absolute target URI (`http://host/path?q`)
 * @param location - the response's `Location`, if any (may be relative)
 * @param contentLocation - the response's `Content-Location`, if any (may be relative)
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-4.4
 * @example
 * ```ts
 * invalidationTargets('POST', 201, 'http://a.test/items', '/items/7') // ['http://a.test/items', 'http://a.test/items/7']
 * ```
 */
export function invalidationTargets(
  method: string,
  status: number,
  target: string,
  location?: string,
  contentLocation?: string,
): string[] {
  if (SAFE_METHODS.has(method.toUpperCase()) || status < 200 || status >= 400) return []
  let base: URL
  try {
    base = new URL(target)
  } catch {
    return []
  }
  const out = [base.href]
  for (const ref of [location, contentLocation]) {
    if (ref === undefined || ref === '') continue
    try {
      const u = new URL(ref, base)
      if (u.origin === base.origin && !out.includes(u.href)) out.push(u.href)
    } catch {}
  }
  return out
}
