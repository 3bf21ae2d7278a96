/**
 * The route cache for Express 4 and 5. Express's request and response are
 * node's, so this is the node:http engine keyed on `originalUrl` (a router
 * mounted at `/api` sees `req.url` without its prefix; the key must not).
 * @module
 */
import type { Request, RequestHandler } from 'express'
import type { CachedOptions } from '../../route-cache/options.js'
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

export type { CachedOptions }
