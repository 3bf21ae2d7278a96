/**
 * `cachestack/redis`: a Redis tier (standalone, Cluster or Sentinel) on
 * ioredis, an optional peer loaded only by this entry.
 *
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { redisStore } from 'cachestack/redis'
 *
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 50_000 }), redisStore({ url: 'redis://127.0.0.1:6379', prefix: 'shop:' })],
 *   ttl: '5m',
 * })
 * ```
 * @module
 */
export {
  RedisStore,
  type RedisStoreOptions,
  type RedisTier,
  redisStore,
  type SentinelAddress,
} from './stores/redis/index.js'
export type { Bus, BusHandlers, BusMessage, BusStats } from './tiers/bus.js'
export { type RedisBusOptions, redisBus } from './tiers/redis-bus.js'
