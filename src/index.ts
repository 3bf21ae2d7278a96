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
import { invalidOption } from './core/errors.js'
import type { Cache, CacheOptions } from './core/index.js'
import { defaultSetup } from './stores/default-tiers.js'

export * from './core/index.js'
export type { CompressOptions } from './stores/compress.js'
export { type BreakerOptions, type GuardedTier, type GuardOptions, guardStore } from './stores/guard.js'
export {
  estimateSize,
  type MemoryPolicy,
  MemoryStore,
  type MemoryStoreOptions,
  type MemoryValues,
  memoryStore,
} from './stores/memory/index.js'

/**
 * Creates a cache over the given tiers (fastest first).
 *
 * With no `tiers`, the cache is the embedded default: a memory tier (10,000
 * entries) over a SQLite file (256 MB, least recently used evicted) in the OS
 * cache directory (`$XDG_CACHE_HOME/cachestack` or `~/.cache/cachestack` on
 * Linux, `~/Library/Caches/cachestack` on macOS, `%LOCALAPPDATA%\cachestack`
 * on Windows; override with the `dir` option or `CACHESTACK_DIR`), one file
 * per application. Entries and tag versions survive restarts and are shared by
 * the app's processes; unless a `bus` is given, a bus over the same file (see
 * `sqliteBus` in `cachestack/sqlite`) carries each `set`, `delete`,
 * `invalidateTags` and `clear` to the other processes' memory tiers within
 * 250 ms. Without the optional peer `better-sqlite3` it is memory only, with
 * one warning; `dir: false` asks for memory only.
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
  if (options?.tiers !== undefined && options.dir !== undefined) {
    throw invalidOption('dir', 'left out when tiers are given (it places the default SQLite file)', options.dir)
  }
  if (options === null || typeof options !== 'object' || options.tiers !== undefined) {
    return createCacheWith(options, () => [])
  }
  // The default tiers are made once the options are validated; the bus comes with them.
  const withDefaults: CacheOptions = { ...options }
  return createCacheWith(withDefaults, () => {
    const setup = defaultSetup(options.dir, options.bus === undefined)
    if (setup.bus !== undefined) withDefaults.bus = setup.bus
    return setup.tiers
  })
}
