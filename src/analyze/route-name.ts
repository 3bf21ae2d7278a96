/**
 * Route names for requests whose framework does not tell the route: the path
 * with its variable segments replaced by `:id`, so `/products/42` and
 * `/products/43` count as one route, `GET /products/:id`. A segment is
 * variable when it is a number, a UUID, a long hex or base64url token, or
 * mixes letters and digits after the first character (`a1b2c3`).
 * @module
 */

const VARIABLE =
  /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|[A-Za-z0-9_-]{20,}|[A-Za-z]*\d[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*)$/i

/**
 * `GET /products/42?x=1` → `GET /products/:id`.
 * @param method - the request method
 * @param url - the request target (path and query)
 */
export function routeName(method: string, url: string): string {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const parts = path.split('/')
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!
    if (p !== '' && VARIABLE.test(p)) parts[i] = ':id'
  }
  return `${method} ${parts.join('/') || '/'}`
}

/** Whether a request method reads (only GET and HEAD responses are caching candidates). */
export function isReadMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD'
}
