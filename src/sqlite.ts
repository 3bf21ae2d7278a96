/**
 * `cachestack/sqlite`: the SQLite tier, on the optional peer `better-sqlite3`.
 * A file that survives restarts and that several processes can share, with
 * shared tag and namespace versions, LRU eviction under `maxBytes`, and the
 * timeout, circuit breaker and `strict` option of every tier; and
 * {@link sqliteBus}, an invalidation bus over the same file for processes that
 * share it without Redis.
 *
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { sqliteStore } from 'cachestack/sqlite'
 *
 * const cache = createCache({ tiers: [memoryStore(), sqliteStore({ path: './.cache/app.db', maxBytes: '512mb' })] })
 * ```
 * @module
 */
export { SqliteStore, type SqliteStoreOptions, sqliteStore } from './stores/sqlite.js'
export type { Bus, BusHandlers, BusMessage, BusStats } from './tiers/bus.js'
export { type SqliteBusOptions, sqliteBus } from './tiers/sqlite-bus.js'
