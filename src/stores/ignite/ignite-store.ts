/**
 * The Apache Ignite tier, on Ignite's Node.js thin client (apache-ignite-client,
 * binary protocol 1.2). Entries are strings in one Ignite cache (the thin
 * client writes a byte array element by element, a string in one copy), each
 * behind its absolute expiry; versions and locks live in caches beside it,
 * moved by the server's atomic replace-if-equals.
 *
 * What the thin client cannot do, and what the store does instead (each
 * named in a startup warning, code `CACHESTACK_IGNITE_THIN_CLIENT`):
 * - no per-entry expiry policy: expired entries are hidden on read, removed
 *   when read, and otherwise stay until cleared or until the server's own
 *   expiry policy for the cache (configure one) reclaims them;
 * - no server-side filter: `clear(prefix)` scans the cache's entries.
 * @module
 */
import { isUtf8 } from 'node:buffer'
import type { Clock } from '../../core/clock.js'
import { type CacheError, invalidOption } from '../../core/errors.js'
import type { MaybePromise, SharedVersions, Store, StoreContext, StoreWrite } from '../../core/store.js'
import { bumpCounters, type ConditionalMap, readCounters, storeLock } from '../conditional-map.js'
import { type GuardedTier, type GuardOptions, guardStore } from '../guard.js'
import { type FailureSource, failWith, unavailable } from '../unavailable.js'
import { type IgniteCache, IgniteConnection, type IgniteConnectionOptions } from './ignite-client.js'

/** Options of {@link igniteStore}. Give `endpoints` or `client`. */
export interface IgniteStoreOptions extends IgniteConnectionOptions, GuardOptions {
  /**
   * The Ignite cache that holds the entries (created when missing); versions
   * go in `<cache>.versions`, locks in `<cache>.locks`. Give it an expiry
   * policy in the server's configuration to reclaim entries never read again.
   * @defaultValue `'cachestack'`
   */
  cache?: string
  /** Prepended to every key in the cache. @defaultValue `''` */
  prefix?: string
  /** The tier's name in stats and errors. @defaultValue `'ignite'` */
  name?: string
  /**
   * Whether to print the startup warning about what the thin client lacks
   * (see the docs). Turn it off once you have configured the server for it.
   * @defaultValue true
   */
  warn?: boolean
}

interface Caches {
  entries: IgniteCache<string, string>
  versions: IgniteCache<string, number>
  locks: IgniteCache<string, string>
}

const systemClock: Clock = { now: Date.now }
const SCAN_PAGE = 1000
const warned = new Set<string>()

/** A {@link Store} in an Ignite cache. Create it with {@link igniteStore}. */
export class IgniteStore implements Store<Uint8Array> {
  readonly name: string
  readonly binary = true
  readonly prefix: string
  /** The entries' cache name. */
  readonly cacheName: string
  readonly versions: SharedVersions
  readonly connection: IgniteConnection
  #clock: Clock = systemClock
  readonly #source: FailureSource
  #caches: Caches | undefined
  #generation = -1
  #pendingCaches: Promise<Caches> | undefined

  /** @param options - see {@link IgniteStoreOptions} */
  constructor(options: IgniteStoreOptions) {
    this.name = options.name ?? 'ignite'
    this.prefix = options.prefix ?? ''
    if (typeof this.prefix !== 'string') throw invalidOption('prefix', 'a string', options.prefix)
    this.cacheName = options.cache ?? 'cachestack'
    if (typeof this.cacheName !== 'string' || this.cacheName === '') {
      throw invalidOption('cache', 'a non-empty cache name', options.cache)
    }
    this.connection = new IgniteConnection(options)
    const connection = this.connection
    this.#source = {
      grid: 'Ignite',
      name: this.name,
      get target() {
        return connection.target
      },
    }
    this.versions = {
      read: (names) => this.#counters().then((m) => readCounters(m, names), this.#fail('versions.read')),
      bump: (names) => this.#counters().then((m) => bumpCounters(m, names), this.#fail('versions.bump')),
    }
    if (options.warn !== false && !warned.has(this.cacheName)) {
      warned.add(this.cacheName)
      process.emitWarning(
        `igniteStore "${this.name}" (cache "${this.cacheName}"): Ignite's Node.js thin client cannot set a per-entry expiry policy, so entries past their expiry are hidden and removed when read but otherwise stay until cleared: give the cache an expiry policy on the server (e.g. CreatedExpiryPolicy at your longest ttl + grace). It has no server-side filter either, so clear(prefix) (a namespace clear) scans the cache's entries. Pass warn: false to silence this.`,
        { code: 'CACHESTACK_IGNITE_THIN_CLIENT' },
      )
    }
  }

  /** While the first connection is being made (and the caches looked up), a promise of it. */
  connecting(): Promise<void> | undefined {
    if (this.connection.connecting() === undefined) return undefined
    return this.#caches$().then(noop)
  }

  init(ctx: StoreContext): void {
    this.#clock = ctx.clock
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const { entries } = await this.#caches$()
      const full = this.prefix + key
      const stored = await entries.get(full)
      if (stored === null) return undefined
      const payload = decodeEntry(stored, this.#clock.now())
      // An expired entry is removed when read (the thin client cannot give it a TTL); only if it is still that one.
      if (payload === undefined) entries.removeIfEquals(full, stored).catch(noop)
      return payload
    } catch (error) {
      throw this.#wrap('get', error)
    }
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    try {
      const { entries } = await this.#caches$()
      const found = new Map<string, string>()
      for (const e of await entries.getAll(keys.map((k) => this.prefix + k))) found.set(e.getKey(), e.getValue())
      const now = this.#clock.now()
      return keys.map((k) => {
        const stored = found.get(this.prefix + k)
        return stored === undefined ? undefined : decodeEntry(stored, now)
      })
    } catch (error) {
      throw this.#wrap('getMany', error)
    }
  }

  async set(key: string, value: Uint8Array, expiresAt: number): Promise<void> {
    try {
      const { entries } = await this.#caches$()
      if (expiresAt <= this.#clock.now()) await entries.removeKey(this.prefix + key)
      else await entries.put(this.prefix + key, encodeEntry(value, expiresAt))
    } catch (error) {
      throw this.#wrap('set', error)
    }
  }

  /** One `putAll` (each entry carries its own expiry), and one `removeKeys` for those already expired. */
  async setMany(writes: readonly StoreWrite<Uint8Array>[]): Promise<void> {
    try {
      const { entries } = await this.#caches$()
      const now = this.#clock.now()
      const lib = this.connection.lib
      const puts = []
      const removes: string[] = []
      for (const w of writes) {
        if (w.expiresAt <= now) removes.push(this.prefix + w.key)
        else puts.push(new lib.CacheEntry(this.prefix + w.key, encodeEntry(w.value, w.expiresAt)))
      }
      await Promise.all([
        puts.length > 0 ? entries.putAll(puts) : undefined,
        removes.length > 0 ? entries.removeKeys(removes) : undefined,
      ])
    } catch (error) {
      throw this.#wrap('setMany', error)
    }
  }

  /** A read of the stored string, then the server's `replaceIfEquals` (or `removeIfEquals` for an expiry past). */
  async compareAndSet(key: string, expected: Uint8Array, value: Uint8Array, expiresAt: number): Promise<boolean> {
    try {
      const { entries } = await this.#caches$()
      const full = this.prefix + key
      const stored = await entries.get(full)
      if (stored === null) return false
      const now = this.#clock.now()
      const payload = decodeEntry(stored, now)
      if (payload === undefined || Buffer.compare(payload, expected) !== 0) return false
      if (expiresAt <= now) return await entries.removeIfEquals(full, stored)
      return await entries.replaceIfEquals(full, stored, encodeEntry(value, expiresAt))
    } catch (error) {
      throw this.#wrap('compareAndSet', error)
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      const { entries } = await this.#caches$()
      const old = await entries.getAndRemove(this.prefix + key)
      return old !== null && decodeEntry(old, this.#clock.now()) !== undefined
    } catch (error) {
      throw this.#wrap('delete', error)
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    try {
      const { entries } = await this.#caches$()
      await entries.removeKeys(keys.map((k) => this.prefix + k))
    } catch (error) {
      throw this.#wrap('deleteMany', error)
    }
  }

  /**
   * The whole cache (no prefix of the store's): `removeAll` on the server.
   * A prefix: a scan of the cache's entries, page by page, removing the keys
   * that start with it (the thin client cannot run a filter on the server).
   */
  async clear(prefix = ''): Promise<void> {
    try {
      const { entries } = await this.#caches$()
      const full = this.prefix + prefix
      if (full === '') return await entries.removeAll()
      const scan = new this.connection.lib.ScanQuery()
      scan.setPageSize(SCAN_PAGE)
      const cursor = await entries.query(scan)
      let batch: string[] = []
      for (let e = await cursor.getValue(); e !== null; e = cursor.hasMore() ? await cursor.getValue() : null) {
        const k = e.getKey()
        if (typeof k === 'string' && k.startsWith(full)) batch.push(k)
        if (batch.length >= SCAN_PAGE) {
          await entries.removeKeys(batch)
          batch = []
        }
      }
      if (batch.length > 0) await entries.removeKeys(batch)
    } catch (error) {
      throw this.#wrap('clear', error)
    }
  }

  /** Entries in the cache (expired ones not yet removed included). */
  async size(): Promise<{ entries: number; bytes: number }> {
    try {
      const { entries } = await this.#caches$()
      return { entries: await entries.getSize(), bytes: 0 }
    } catch (error) {
      throw this.#wrap('size', error)
    }
  }

  /**
   * A cross-process lock for `getOrSet(…, { lock })`: a `putIfAbsent` in
   * `<cache>.locks` holding its lease end; an expired holder is replaced with
   * `replaceIfEquals` (the thin client has no lock and no TTL).
   */
  lock(key: string, ttl: number): Promise<(() => Promise<void>) | undefined> {
    return storeLock(() => this.#caches$().then((c) => stringMap(c.locks)), this.prefix + key, ttl, this.#wrap)
  }

  close(): Promise<void> {
    return this.connection.close()
  }

  #caches$(): Promise<Caches> {
    const c = this.connection
    if (this.#caches !== undefined && c.client !== undefined && this.#generation === c.generation) {
      return Promise.resolve(this.#caches)
    }
    this.#pendingCaches ??= c
      .connect()
      .then(async (client) => {
        const { STRING, DOUBLE } = c.lib.ObjectType.PRIMITIVE_TYPE
        const [entries, versions, locks] = await Promise.all([
          client.getOrCreateCache(this.cacheName),
          client.getOrCreateCache(`${this.cacheName}.versions`),
          client.getOrCreateCache(`${this.cacheName}.locks`),
        ])
        this.#caches = {
          entries: entries.setKeyType(STRING).setValueType(STRING) as IgniteCache<string, string>,
          versions: versions.setKeyType(STRING).setValueType(DOUBLE) as IgniteCache<string, number>,
          locks: locks.setKeyType(STRING).setValueType(STRING) as IgniteCache<string, string>,
        }
        this.#generation = c.generation
        return this.#caches
      })
      .finally(() => {
        this.#pendingCaches = undefined
      })
    return this.#pendingCaches
  }

  #counters(): Promise<ConditionalMap<number>> {
    return this.#caches$().then((c) => conditional(c.versions))
  }

  #fail(operation: string): (error: unknown) => never {
    return failWith(this.#source, operation)
  }

  readonly #wrap = (operation: string, error: unknown): CacheError => unavailable(this.#source, operation, error)
}

/**
 * The stored form: `expiresAt` in decimal, `|`, then `u` and the payload as
 * text when it is valid UTF-8 (the serializer's JSON nearly always is), or
 * `b` and base64.
 */
export function encodeEntry(payload: Uint8Array, expiresAt: number): string {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  return isUtf8(bytes) ? `${expiresAt}|u${bytes.toString('utf8')}` : `${expiresAt}|b${bytes.toString('base64')}`
}

/** The payload of a stored string, or `undefined` when it expired at `now` or is not this store's. */
export function decodeEntry(stored: unknown, now: number): Uint8Array | undefined {
  if (typeof stored !== 'string') return undefined
  const bar = stored.indexOf('|')
  if (bar < 1 || !(Number(stored.slice(0, bar)) > now)) return undefined
  const kind = stored.charCodeAt(bar + 1)
  if (kind === 0x75) return Buffer.from(stored.slice(bar + 2), 'utf8')
  if (kind === 0x62) return Buffer.from(stored.slice(bar + 2), 'base64')
  return undefined
}

function noop(): void {}

function conditional<V>(cache: IgniteCache<string, V>): ConditionalMap<V> {
  return {
    get: (key) => cache.get(key),
    getMany: async (keys) => {
      const found = new Map<string, V>()
      for (const e of await cache.getAll([...keys])) found.set(e.getKey(), e.getValue())
      return keys.map((k) => found.get(k))
    },
    putIfAbsent: (key, value) => cache.getAndPutIfAbsent(key, value),
    replaceIfSame: (key, expected, value) => cache.replaceIfEquals(key, expected, value),
    removeIfSame: (key, expected) => cache.removeIfEquals(key, expected),
  }
}

function stringMap(cache: IgniteCache<string, string>): ConditionalMap<string> {
  return conditional(cache)
}

/**
 * What {@link igniteStore} returns: the {@link IgniteStore} behind a timeout
 * and a circuit breaker, with the store at hand.
 */
export interface IgniteTier extends GuardedTier {
  /** The unguarded store. */
  readonly store: IgniteStore
  close(): MaybePromise<void>
}

/**
 * An Apache Ignite tier on apache-ignite-client (an optional peer). Prints a
 * startup warning naming what the thin client lacks (see the docs).
 *
 * @param options - see {@link IgniteStoreOptions}
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` for missing endpoints; `ERR_CACHE_PEER_MISSING` without apache-ignite-client
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
 */
export function igniteStore(options: IgniteStoreOptions): IgniteTier {
  const store = new IgniteStore(options)
  return Object.assign(guardStore(store, options), { store }) as IgniteTier
}
