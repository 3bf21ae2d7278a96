/**
 * `cachestack/hazelcast`: a Hazelcast tier on hazelcast-client, an optional
 * peer loaded only by this entry, and an invalidation bus over a Hazelcast
 * reliable topic. Entries live in one `IMap` with a per-entry TTL; tag and
 * namespace versions, and the `lock: true` lease, in maps beside it.
 *
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { hazelcastBus, hazelcastStore } from 'cachestack/hazelcast'
 *
 * const hz = { members: '10.0.0.5:5701,10.0.0.6:5701', clusterName: 'shop' }
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 50_000 }), hazelcastStore(hz)],
 *   bus: hazelcastBus(hz),
 *   ttl: '5m',
 * })
 * ```
 * @module
 */

export {
  type HazelcastBusOptions,
  type HazelcastClient,
  HazelcastConnection,
  type HazelcastConnectionOptions,
  HazelcastStore,
  type HazelcastStoreOptions,
  type HazelcastTier,
  hazelcastBus,
  hazelcastStore,
} from './stores/hazelcast/index.js'
export type { Bus, BusHandlers, BusMessage, BusStats } from './tiers/bus.js'
