/**
 * HTTP caching for cachestack: RFC 9111 semantics (Cache-Control, freshness,
 * Vary, storability, conditional requests, Cache-Status), the node:http route
 * cache, browser/CDN header helpers, surrogate keys, fingerprinted static
 * assets and a caching `fetch`. Framework adapters live in
 * `cachestack/express`, `cachestack/fastify` and `cachestack/hono`.
 *
 * @example
 * ```ts
 * import { parseCacheControl, serializeCacheControl } from 'cachestack/http'
 *
 * parseCacheControl('public, max-age=60, stale-while-revalidate=30')
 * // { public: true, maxAge: 60, staleWhileRevalidate: 30 }
 * ```
 * @module
 */

export * from './http/assets/index.js'
export * from './http/fetch/index.js'
export * from './http/headers/index.js'
export { cacheControl, serveAssets } from './http/middleware/node/helpers.js'
export { cached, cacheHandler, type NodeMiddleware } from './http/middleware/node/index.js'
export * from './http/route-cache/index.js'
export * from './http/semantics/index.js'
