export {
  MemcachedStore,
  type MemcachedStoreOptions,
  type MemcachedTier,
  type MemjsClient,
  memcachedStore,
} from './memcached-store.js'
