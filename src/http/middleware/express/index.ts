/**
 * The route cache for Express 4 and 5. Express's request and response are
 * node's, so this is the node:http engine keyed on `originalUrl` (a router
 * mounted at `/api` sees `req.url` without its prefix; the key must not).
 * @module
 */
import type { Request, RequestHandler } from 'express'
import type { AssetManifest } from '../../assets/fingerprint.js'
import type { CacheControlOptions } from '../../headers/cache-control-header.js'
import type { CachedOptions } from '../../route-cache/options.js'
import { cacheControl as nodeCacheControl, serveAssets as nodeServeAssets } from '../node/helpers.js'
import { nodeRouteCache } from '../node/index.js'

/**
 * Route caching middleware for Express: put it before a route's handler, or
 * `app.use` it for every route below. See {@link CachedOptions} and the HTTP
 * guide for the rules it keeps.
 *
 * @param options - `{ cache, ttl, key?, vary?, tags?, private?, public?, statuses?, … }`
 * @example
 * ```ts
 * app.get('/products', cached({ cache, ttl: '60s', tags: ['products'] }), listProducts)
 * ```
 */
export function cached(options: CachedOptions<Request>): RequestHandler {
  return nodeRouteCache<Request>(options, (req) => req.originalUrl ?? req.url) as unknown as RequestHandler
}

/**
 * Sets `Cache-Control` for browsers and CDNs (computed once; the handler may override it).
 * @example
 * ```ts
 * app.get('/products', cacheControl({ public: true, maxAge: '1m', staleWhileRevalidate: '1d' }), list)
 * ```
 */
export function cacheControl(options: CacheControlOptions): RequestHandler {
  return nodeCacheControl(options) as unknown as RequestHandler
}

/**
 * Serves fingerprinted assets (immutable for a year) and HTML (`no-cache` + ETag) from a manifest.
 * @example
 * ```ts
 * app.use(serveAssets(await fingerprintAssets({ dir: 'public' })))
 * ```
 */
export function serveAssets(manifest: AssetManifest): RequestHandler {
  return nodeServeAssets(manifest) as unknown as RequestHandler
}

export type { CachedOptions }
