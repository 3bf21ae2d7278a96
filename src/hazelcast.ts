/**
 * `cachestack/hazelcast`: a Hazelcast tier on hazelcast-client, an optional
 * peer loaded only by this entry. Entries live in one `IMap` with a per-entry
 * TTL; tag and namespace versions, and the `lock: true` lease, in maps beside it.
 *
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { hazelcastStore } from 'cachestack/hazelcast'
 *
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 50_000 }), hazelcastStore({ members: '10.0.0.5:5701,10.0.0.6:5701', clusterName: 'shop' })],
 *   ttl: '5m',
 * })
 * ```
 * @module
 */
export {
  type HazelcastClient,
  HazelcastConnection,
  type HazelcastConnectionOptions,
  HazelcastStore,
  type HazelcastStoreOptions,
  type HazelcastTier,
  hazelcastStore,
} from './stores/hazelcast/index.js'
