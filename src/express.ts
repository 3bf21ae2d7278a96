/**
 * cachestack for Express 4 and 5: the route cache and header helpers.
 *
 * @example
 * ```ts
 * import { cached } from 'cachestack/express'
 *
 * app.get('/products', cached({ cache, ttl: '60s', tags: ['products'] }), listProducts)
 * ```
 * @module
 */
export { type CachedOptions, cached } from './http/middleware/express/index.js'
