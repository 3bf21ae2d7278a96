/**
 * `cachestack/ignite`: an Apache Ignite tier on apache-ignite-client (Ignite's
 * Node.js thin client), an optional peer loaded only by this entry. The thin
 * client cannot set a per-entry expiry nor filter on the server: the store
 * says so in a startup warning, and docs/stores.md says what to configure.
 *
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { igniteStore } from 'cachestack/ignite'
 *
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 50_000 }), igniteStore({ endpoints: '10.0.0.7:10800' })],
 *   ttl: '5m',
 * })
 * ```
 * @module
 */
export {
  type IgniteCache,
  type IgniteClient,
  IgniteConnection,
  type IgniteConnectionOptions,
  IgniteStore,
  type IgniteStoreOptions,
  type IgniteTier,
  igniteStore,
} from './stores/ignite/index.js'
