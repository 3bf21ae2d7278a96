/**
 * cachestack: caching for TypeScript web applications. This entry holds the
 * core: {@link createCache}, the memory tier, durations, errors and the
 * serializer. Other tiers and integrations live in their own subpaths
 * (`cachestack/redis`, `cachestack/sqlite`, `cachestack/http`, …) so their
 * dependencies load only when used.
 *
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 *
 * const cache = createCache({ tiers: [memoryStore({ maxEntries: 50_000 })], ttl: '5m', grace: '1h' })
 * const user = await cache.getOrSet(`user:${id}`, () => db.users.find(id), { tags: ['users'] })
 * await cache.invalidateTags(['users'])
 * ```
 * @module
 */
import { createCacheWith } from './core/cache.js'
import type { Cache, CacheOptions } from './core/index.js'
import { memoryStore } from './stores/memory/index.js'

export * from './core/index.js'
export { type BreakerOptions, type GuardOptions, guardStore } from './stores/guard.js'
export {
  estimateSize,
  type MemoryPolicy,
  MemoryStore,
  type MemoryStoreOptions,
  memoryStore,
} from './stores/memory/index.js'

/**
 * Creates a cache over the given tiers (fastest first).
 *
 * With no `tiers`, the cache is an in-process memory tier of 10,000 entries.
 *
 * @param options - see {@link CacheOptions}
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` or `ERR_CACHE_INVALID_TTL`, naming the option to fix
 * @example
 * ```ts
 * const cache = createCache({ ttl: '5m', grace: '1h' })
 * const page = await cache.getOrSet('home', renderHome)
 * ```
 */
export function createCache(options: CacheOptions = {}): Cache {
  return createCacheWith(options, () => [memoryStore()])
}
