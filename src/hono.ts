/**
 * cachestack for Hono: the route cache middleware on web-standard Request and
 * Response, `Cache-Control` for browsers and CDNs, and fingerprinted assets.
 *
 * @example
 * ```ts
 * import { cached } from 'cachestack/hono'
 *
 * app.get('/products', cached({ cache, ttl: '60s', tags: ['products'] }), (c) => c.json(products))
 * ```
 * @module
 */
export { type CachedOptions, cacheControl, cached, serveAssets } from './http/middleware/hono/index.js'
