/**
 * `cachestack/keyv`: a cachestack cache as a Keyv store, for cache-manager 7,
 * cacheable and every other library that takes a Keyv.
 *
 * @example
 * ```ts
 * import { Keyv } from 'keyv'
 * import { createCache as createCacheManager } from 'cache-manager'
 * import { createCache } from 'cachestack'
 * import { keyvOptions } from 'cachestack/keyv'
 *
 * const cache = createCache({ ttl: '5m' })
 * const manager = createCacheManager({ stores: [new Keyv(keyvOptions(cache))] })
 * ```
 * @module
 */
export {
  type KeyvStoreAdapterLike,
  type KeyvStoreOptions,
  keyvOptions,
  keyvStore,
} from './integrations/keyv/keyv-store.js'
