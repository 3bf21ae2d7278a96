export { Cache } from './cache.js'
export { type Clock, type ManualClock, manualClock, systemClock } from './clock.js'
export { type Duration, parseDuration, parseSize, type Size } from './duration.js'
export { decodeEnvelope, type Envelope, encodeEnvelope } from './envelope.js'
export { CacheError, type CacheErrorCode, ERROR_CODES, isCacheError } from './errors.js'
export type { CacheEventName, CacheEvents, CacheListener } from './events.js'
export type {
  CacheOptions,
  EarlyRefresh,
  GetOrSetOptions,
  Loader,
  LoaderContext,
  PurgeHook,
  SetOptions,
  TouchOptions,
} from './options.js'
export { ReadThrough, type ReadThroughSource } from './read-through.js'
export { defaultSerializer, fromJsonSafe, type Serializer, toJsonSafe } from './serializer.js'
export type { CacheCounters, CacheStats, CounterSnapshot } from './stats.js'
export type {
  EvictionReason,
  MaybePromise,
  SharedVersions,
  Store,
  StoreContext,
  StoreHealth,
  StoreSize,
  StoreWrite,
  SyncStore,
  VersionedEntry,
} from './store.js'
export { LocalTagVersions, type TagVersionSource } from './tags.js'
