/**
 * `createProxy`: the caching reverse proxy as a node:http server.
 * @module
 */
import http from 'node:http'
import type { Cache } from '../../core/cache.js'
import { createCacheWith } from '../../core/cache.js'
import { memoryStore } from '../../stores/memory/index.js'
import { type ProxyOptions, resolveProxyOptions } from './options.js'
import { ProxyHandler } from './proxy.js'

/** The server `createProxy` returns: a node:http server with its cache at hand. */
export interface ProxyServer extends http.Server {
  /** The cache holding stored responses (for stats, metrics, the dashboard, or purging from code). */
  readonly cache: Cache
  /** The request handler, to mount the proxy in another server. */
  readonly handler: ProxyHandler
}

/**
 * Creates a caching reverse proxy in front of `options.origin`: a shared
 * HTTP cache per RFC 9111 (with RFC 5861 stale-while-revalidate and
 * stale-if-error, RFC 9211 Cache-Status and RFC 9213 CDN-Cache-Control).
 * Call `listen()` on the result. Closing the server closes the origin
 * connections, and the cache when the proxy created it.
 *
 * @param options - see {@link ProxyOptions}
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` naming the option to fix
 * @example
 * ```ts
 * import { createProxy } from 'cachestack/proxy'
 *
 * const proxy = createProxy({ origin: 'http://127.0.0.1:3000', maxObjectSize: '10mb' })
 * proxy.listen(8080)
 * ```
 */
export function createProxy(options: ProxyOptions): ProxyServer {
  const o = resolveProxyOptions(options)
  const own = options.cache === undefined
  const cache =
    options.cache ?? createCacheWith({ tiers: [memoryStore({ maxBytes: o.maxSize, maxEntries: 100_000 })] }, () => [])
  const handler = new ProxyHandler(o, cache, options.clock)
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => handler.handle(req, res))
  server.on('close', () => {
    handler.close()
    if (own) cache.close().catch(() => {})
  })
  return Object.assign(server, { cache, handler })
}
