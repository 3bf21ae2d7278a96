/**
 * `cachestack/memcached`: a Memcached tier on memjs, an optional peer loaded
 * only by this entry. Keys Memcached refuses (over 250 bytes, spaces, control
 * characters) are hashed safely; values over the item size are refused with
 * `ERR_CACHE_TOO_LARGE`.
 *
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { memcachedStore } from 'cachestack/memcached'
 *
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 50_000 }), memcachedStore({ servers: '127.0.0.1:11211', prefix: 'shop:' })],
 *   ttl: '5m',
 * })
 * ```
 * @module
 */
export {
  MemcachedStore,
  type MemcachedStoreOptions,
  type MemcachedTier,
  type MemjsClient,
  memcachedStore,
} from './stores/memcached/index.js'
