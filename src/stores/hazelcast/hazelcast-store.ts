/**
 * The Hazelcast tier, on hazelcast-client: entries in one `IMap` with a
 * per-entry TTL, tag and namespace versions in a second map (moved on by
 * compare-and-swap, so bumps from every process count), and the stampede lock
 * as a leased entry in a third. A prefix is cleared on the members with one
 * `removeAll` and a key predicate: no key travels to the client.
 * @module
 */
import { type IMap, Predicates } from 'hazelcast-client'
import type { Clock } from '../../core/clock.js'
import { type CacheError, invalidOption } from '../../core/errors.js'
import type { MaybePromise, SharedVersions, Store, StoreContext, StoreWrite } from '../../core/store.js'
import { bumpCounters, type ConditionalMap, readCounters, storeLock } from '../conditional-map.js'
import { type GuardedTier, type GuardOptions, guardStore } from '../guard.js'
import { type FailureSource, failWith, unavailable } from '../unavailable.js'
import { type HazelcastClient, HazelcastConnection, type HazelcastConnectionOptions } from './hazelcast-connection.js'
import { decodeEntry, encodeEntry, prefixPattern, serverTtl } from './hazelcast-entry.js'

/** Options of {@link hazelcastStore}. Give `members` or `client`. */
export interface HazelcastStoreOptions extends HazelcastConnectionOptions, GuardOptions {
  /**
   * The map that holds the entries; the versions go in `<map>.versions` and
   * the locks in `<map>.locks`. Configure its backups, eviction and memory in
   * the members' config under this name.
   * @defaultValue `'cachestack'`
   */
  map?: string
  /** Prepended to every key in the map (apps sharing one map keep apart). @defaultValue `''` */
  prefix?: string
  /** The tier's name in stats and errors. @defaultValue `'hazelcast'` */
  name?: string
}

/** The three maps a store works on. */
interface Maps {
  entries: IMap<string, Buffer>
  versions: IMap<string, number>
  locks: IMap<string, string>
}

const systemClock: Clock = { now: Date.now }

/** A {@link Store} in a Hazelcast map. Create it with {@link hazelcastStore}. */
export class HazelcastStore implements Store<Uint8Array> {
  readonly name: string
  readonly binary = true
  /** The key prefix. */
  readonly prefix: string
  /** The entries' map name. */
  readonly mapName: string
  /** Shared tag and namespace versions, in `<map>.versions`. */
  readonly versions: SharedVersions
  /** The client, connecting on first use. */
  readonly connection: HazelcastConnection
  #clock: Clock = systemClock
  readonly #source: FailureSource
  #maps: Maps | undefined
  #mapsFor: HazelcastClient | undefined
  #pendingMaps: Promise<Maps> | undefined

  /** @param options - see {@link HazelcastStoreOptions} */
  constructor(options: HazelcastStoreOptions) {
    this.name = options.name ?? 'hazelcast'
    this.prefix = options.prefix ?? ''
    if (typeof this.prefix !== 'string') throw invalidOption('prefix', 'a string', options.prefix)
    this.mapName = options.map ?? 'cachestack'
    if (typeof this.mapName !== 'string' || this.mapName === '') {
      throw invalidOption('map', 'a non-empty map name', options.map)
    }
    this.connection = new HazelcastConnection(options, 'hazelcastStore')
    const connection = this.connection
    this.#source = {
      grid: 'Hazelcast',
      name: this.name,
      get target() {
        return connection.target
      },
    }
    this.versions = {
      read: (names) => this.#counters().then((m) => readCounters(m, names), this.#fail('versions.read')),
      bump: (names) => this.#counters().then((m) => bumpCounters(m, names), this.#fail('versions.bump')),
    }
  }

  /**
   * While the client's first connection is being made (and the store's maps
   * looked up), a promise of it: the guard times operations from its end.
   */
  connecting(): Promise<void> | undefined {
    if (this.connection.connecting() === undefined) return undefined
    return this.#maps$().then(noop)
  }

  init(ctx: StoreContext): void {
    this.#clock = ctx.clock
  }

  get(key: string): Promise<Uint8Array | undefined> {
    const maps = this.#ready()
    if (maps !== undefined) return maps.entries.get(this.prefix + key).then(this.#decode, this.#fail('get'))
    return this.#maps$()
      .then((m) => m.entries.get(this.prefix + key))
      .then(this.#decode, this.#fail('get'))
  }

  /** One `getAll`: the members answer each partition's keys together. */
  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    try {
      const { entries } = await this.#maps$()
      const found = new Map(await entries.getAll(keys.map((k) => this.prefix + k)))
      const now = this.#clock.now()
      return keys.map((k) => decodeEntry(found.get(this.prefix + k), now))
    } catch (error) {
      throw this.#wrap('getMany', error)
    }
  }

  async set(key: string, value: Uint8Array, expiresAt: number): Promise<void> {
    try {
      const { entries } = await this.#maps$()
      const ttl = expiresAt - this.#clock.now()
      if (ttl <= 0) await entries.delete(this.prefix + key)
      else await entries.set(this.prefix + key, encodeEntry(value, expiresAt), serverTtl(ttl))
    } catch (error) {
      throw this.#wrap('set', error)
    }
  }

  /** Each entry has its own TTL (`putAll` takes none): the sets go out together on the client's connections. */
  async setMany(writes: readonly StoreWrite<Uint8Array>[]): Promise<void> {
    await Promise.all(writes.map((w) => this.set(w.key, w.value, w.expiresAt)))
  }

  /**
   * Replaces the entry only while it still holds `expected`: a read of the
   * stored bytes, then `replaceIfSame` with them (the members compare the
   * serialized values), then the new TTL (`replace` keeps none). An expiry
   * already past removes the entry with remove-if-same.
   */
  async compareAndSet(key: string, expected: Uint8Array, value: Uint8Array, expiresAt: number): Promise<boolean> {
    try {
      const { entries } = await this.#maps$()
      const full = this.prefix + key
      const stored = await entries.get(full)
      const now = this.#clock.now()
      const payload = decodeEntry(stored, now)
      if (payload === undefined || Buffer.compare(payload, expected) !== 0) return false
      const ttl = expiresAt - now
      if (ttl <= 0) return (await entries.remove(full, stored)) === true
      if (!(await entries.replaceIfSame(full, stored, encodeEntry(value, expiresAt)))) return false
      if (ttl !== Number.POSITIVE_INFINITY) await entries.setTtl(full, serverTtl(ttl))
      return true
    } catch (error) {
      throw this.#wrap('compareAndSet', error)
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      const { entries } = await this.#maps$()
      const old = await entries.remove(this.prefix + key)
      return decodeEntry(old, this.#clock.now()) !== undefined
    } catch (error) {
      throw this.#wrap('delete', error)
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    try {
      const { entries } = await this.#maps$()
      await Promise.all(keys.map((k) => entries.delete(this.prefix + k)))
    } catch (error) {
      throw this.#wrap('deleteMany', error)
    }
  }

  /**
   * Removes every key that starts with `prefix`, on the members
   * (`removeAll` with a key predicate; each member scans its own partitions).
   * The whole map without a prefix of the store's: `clear()`.
   */
  async clear(prefix = ''): Promise<void> {
    try {
      const { entries } = await this.#maps$()
      const full = this.prefix + prefix
      if (full === '') await entries.clear()
      else await entries.removeAll(Predicates.regex('__key', prefixPattern(full)))
    } catch (error) {
      throw this.#wrap('clear', error)
    }
  }

  /** Entries in the map (Hazelcast does not tell a client the bytes). */
  async size(): Promise<{ entries: number; bytes: number }> {
    try {
      const { entries } = await this.#maps$()
      return { entries: await entries.size(), bytes: 0 }
    } catch (error) {
      throw this.#wrap('size', error)
    }
  }

  /**
   * A cross-process lock for `getOrSet(…, { lock })`: a `putIfAbsent` in
   * `<map>.locks` whose TTL is the lease, released with remove-if-same.
   */
  lock(key: string, ttl: number): Promise<(() => Promise<void>) | undefined> {
    return storeLock(() => this.#maps$().then((m) => lockMap(m.locks)), this.prefix + key, ttl, this.#wrap)
  }

  /** Shuts down the client the store started; a client you passed in is left open. */
  close(): Promise<void> {
    return this.connection.close()
  }

  /** The maps, when the client is connected and they are known (the hit path then awaits nothing else). */
  #ready(): Maps | undefined {
    const client = this.connection.client
    return client !== undefined && client === this.#mapsFor ? this.#maps : undefined
  }

  #maps$(): Promise<Maps> {
    const ready = this.#ready()
    if (ready !== undefined) return Promise.resolve(ready)
    this.#pendingMaps ??= this.connection
      .connect()
      .then(async (client) => {
        const [entries, versions, locks] = await Promise.all([
          client.getMap<string, Buffer>(this.mapName),
          client.getMap<string, number>(`${this.mapName}.versions`),
          client.getMap<string, string>(`${this.mapName}.locks`),
        ])
        this.#maps = { entries, versions, locks }
        this.#mapsFor = client
        return this.#maps
      })
      .finally(() => {
        this.#pendingMaps = undefined
      })
    return this.#pendingMaps
  }

  #counters(): Promise<ConditionalMap<number>> {
    return this.#maps$().then((m) => counterMap(m.versions))
  }

  readonly #decode = (stored: Buffer | null): Uint8Array | undefined => decodeEntry(stored, this.#clock.now())

  #fail(operation: string): (error: unknown) => never {
    return failWith(this.#source, operation)
  }

  readonly #wrap = (operation: string, error: unknown): CacheError => unavailable(this.#source, operation, error)
}

function noop(): void {}

function counterMap(map: IMap<string, number>): ConditionalMap<number> {
  return {
    get: (key) => map.get(key),
    getMany: async (keys) => {
      const found = new Map(await map.getAll([...keys]))
      return keys.map((k) => found.get(k))
    },
    putIfAbsent: (key, value) => map.putIfAbsent(key, value),
    replaceIfSame: (key, expected, value) => map.replaceIfSame(key, expected, value),
    removeIfSame: async (key, expected) => (await map.remove(key, expected)) === true,
  }
}

function lockMap(map: IMap<string, string>): ConditionalMap<string> {
  return {
    get: (key) => map.get(key),
    getMany: async (keys) => {
      const found = new Map(await map.getAll([...keys]))
      return keys.map((k) => found.get(k))
    },
    putIfAbsent: (key, value, ttl) => map.putIfAbsent(key, value, ttl === undefined ? undefined : serverTtl(ttl)),
    replaceIfSame: async (key, expected, value, ttl) => {
      if (!(await map.replaceIfSame(key, expected, value))) return false
      if (ttl !== undefined) await map.setTtl(key, serverTtl(ttl))
      return true
    },
    removeIfSame: async (key, expected) => (await map.remove(key, expected)) === true,
  }
}

/**
 * What {@link hazelcastStore} returns: the {@link HazelcastStore} behind a
 * timeout and a circuit breaker, with the store at hand.
 */
export interface HazelcastTier extends GuardedTier {
  /** The unguarded store (its `connection.client` once connected). */
  readonly store: HazelcastStore
  close(): MaybePromise<void>
}

/**
 * A Hazelcast tier on hazelcast-client (an optional peer).
 *
 * @param options - see {@link HazelcastStoreOptions}
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` for missing members or a bad map name
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { hazelcastStore } from 'cachestack/hazelcast'
 *
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 50_000 }), hazelcastStore({ members: '10.0.0.5:5701', clusterName: 'shop' })],
 *   ttl: '5m',
 * })
 * ```
 */
export function hazelcastStore(options: HazelcastStoreOptions): HazelcastTier {
  const store = new HazelcastStore(options)
  return Object.assign(guardStore(store, options), { store }) as HazelcastTier
}
