/**
 * cachestack for Express 4 and 5: the route cache, `Cache-Control` for
 * browsers and CDNs, and fingerprinted static assets.
 *
 * @example
 * ```ts
 * import { cached, cacheControl } from 'cachestack/express'
 *
 * app.get('/products', cacheControl({ public: true, maxAge: '1m' }), cached({ cache, ttl: '60s', tags: ['products'] }), listProducts)
 * ```
 * @module
 */
export { type CachedOptions, cacheControl, cached, serveAssets } from './http/middleware/express/index.js'
