/**
 * A cachestack cache as a Keyv store: cache-manager 7, cacheable and every
 * other Keyv user get cachestack's tiers (memory L1 over SQLite, Redis,
 * Memcached, …), its bus, its stats and its O(1) tag invalidation.
 *
 * Keyv hands the store `{ value, expires }` (serialized by Keyv unless its
 * `serialize`/`deserialize` are `undefined`) and checks `expires` itself; the
 * store keeps it for Keyv's TTL. {@link keyvOptions} turns Keyv's serializer
 * off so cachestack's does the work and rich values (Date, Map, Set, BigInt,
 * bytes) come back as they went in.
 * @module
 */
import { EventEmitter } from 'node:events'
import type { Cache } from '../../core/cache.js'
import { invalidOption } from '../../core/errors.js'

/** Options of {@link keyvStore}. */
export interface KeyvStoreOptions {
  /**
   * Tags for an entry Keyv writes, from its key (Keyv's API has no tags), so
   * `cache.invalidateTags()` reaches what cache-manager or cacheable stored.
   * The key is the one Keyv passes, with its namespace prefix (`keyv:user:42`).
   * @defaultValue no tags
   * @example
   * ```ts
   * keyvStore(cache, { tags: (key) => [key.split(':')[1] ?? 'misc'] })
   * ```
   */
  tags?: (key: string) => readonly string[]
  /**
   * Whether `disconnect()` (cache-manager's `disconnect()`) closes the cache.
   * Leave it off when the cache is shared with other code.
   * @defaultValue false
   */
  closeOnDisconnect?: boolean
}

/** What Keyv asks of a store (Keyv 5's `KeyvStoreAdapter`), typed here so Keyv stays an optional peer. */
export interface KeyvStoreAdapterLike extends EventEmitter {
  opts: Record<string, unknown>
  namespace?: string | undefined
  get(key: string): Promise<unknown>
  getMany(keys: string[]): Promise<unknown[]>
  set(key: string, value: unknown, ttl?: number): Promise<boolean>
  setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<void>
  has(key: string): Promise<boolean>
  hasMany(keys: string[]): Promise<boolean[]>
  delete(key: string): Promise<boolean>
  deleteMany(keys: string[]): Promise<boolean>
  clear(): Promise<void>
  disconnect(): Promise<void>
}

/** A Keyv TTL (milliseconds; `undefined` or 0 for none) as a cachestack TTL: none means the cache's own `ttl`. */
function ttlOf(ttl: number | undefined): number | undefined {
  return typeof ttl === 'number' && ttl > 0 && Number.isFinite(ttl) ? ttl : undefined
}

/**
 * Wraps `cache` as a Keyv store. Keyv's namespace becomes a cachestack
 * namespace, so Keyv's `clear()` clears that namespace only, in O(1), on every
 * tier and every process; without one it clears the whole cache. Errors from a
 * tier never reach Keyv (cachestack fails open); invalid keys reject with
 * `ERR_CACHE_KEY`.
 *
 * @param cache - the cache to store in
 * @param options - see {@link KeyvStoreOptions}
 * @example
 * ```ts
 * import { Keyv } from 'keyv'
 * import { createCache as createCacheManager } from 'cache-manager'
 * import { createCache, memoryStore } from 'cachestack'
 * import { redisStore } from 'cachestack/redis'
 * import { keyvOptions } from 'cachestack/keyv'
 *
 * const cache = createCache({ tiers: [memoryStore(), redisStore({ url: process.env.REDIS_URL })], ttl: '5m' })
 * const manager = createCacheManager({ stores: [new Keyv(keyvOptions(cache))] })
 * await manager.wrap('user:42', () => db.users.find(42), 60_000)
 * ```
 */
export function keyvStore(cache: Cache, options: KeyvStoreOptions = {}): KeyvStoreAdapterLike {
  if (cache === null || typeof cache !== 'object' || typeof cache.getMany !== 'function') {
    throw invalidOption('cache', 'a cache from createCache()', cache)
  }
  if (options.tags !== undefined && typeof options.tags !== 'function') {
    throw invalidOption('tags', 'a function from a key to its tags', options.tags)
  }
  const tagsOf = options.tags
  const views = new Map<string, Cache>()

  class CachestackKeyvStore extends EventEmitter implements KeyvStoreAdapterLike {
    opts: Record<string, unknown> = { dialect: 'cachestack' }
    namespace: string | undefined = undefined

    /** The cache for Keyv's current namespace (one view per namespace, made once). */
    #target(): Cache {
      const ns = this.namespace
      if (ns === undefined || ns === '') return cache
      let view = views.get(ns)
      if (view === undefined) {
        view = cache.namespace(ns)
        views.set(ns, view)
      }
      return view
    }

    get(key: string): Promise<unknown> {
      return this.#target().get(key)
    }

    getMany(keys: string[]): Promise<unknown[]> {
      return this.#target().getMany(keys)
    }

    async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
      const tags = tagsOf?.(key)
      await this.#target().set(key, value, { ttl: ttlOf(ttl), tags })
      return true
    }

    async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<void> {
      if (tagsOf !== undefined) {
        await Promise.all(entries.map((e) => this.set(e.key, e.value, e.ttl)))
        return
      }
      // One batch per distinct TTL (usually one).
      const byTtl = new Map<number | undefined, [string, unknown][]>()
      for (const e of entries) {
        const ttl = ttlOf(e.ttl)
        let list = byTtl.get(ttl)
        if (list === undefined) byTtl.set(ttl, (list = []))
        list.push([e.key, e.value])
      }
      const target = this.#target()
      await Promise.all([...byTtl].map(([ttl, list]) => target.setMany(list, { ttl })))
    }

    has(key: string): Promise<boolean> {
      return this.#target().has(key)
    }

    hasMany(keys: string[]): Promise<boolean[]> {
      const target = this.#target()
      return Promise.all(keys.map((k) => target.has(k)))
    }

    delete(key: string): Promise<boolean> {
      return this.#target().delete(key)
    }

    async deleteMany(keys: string[]): Promise<boolean> {
      const target = this.#target()
      const had = await Promise.all(keys.map((k) => target.has(k)))
      await target.deleteMany(keys)
      return had.some(Boolean)
    }

    clear(): Promise<void> {
      return this.#target().clear()
    }

    async disconnect(): Promise<void> {
      if (options.closeOnDisconnect === true) await cache.close()
    }
  }
  return new CachestackKeyvStore()
}

/**
 * Options for `new Keyv(…)` over `cache`: the store, and Keyv's serializer
 * turned off so cachestack's serializer keeps Date, Map, Set, BigInt and bytes
 * intact (with Keyv's JSON they come back as strings and objects).
 *
 * @param cache - the cache to store in
 * @param options - see {@link KeyvStoreOptions}, plus Keyv's `namespace`
 * @example
 * ```ts
 * const keyv = new Keyv(keyvOptions(cache, { namespace: 'sessions' }))
 * ```
 */
export function keyvOptions(
  cache: Cache,
  options: KeyvStoreOptions & { namespace?: string } = {},
): { store: KeyvStoreAdapterLike; serialize: undefined; deserialize: undefined; namespace?: string } {
  const { namespace, ...storeOptions } = options
  const out: { store: KeyvStoreAdapterLike; serialize: undefined; deserialize: undefined; namespace?: string } = {
    store: keyvStore(cache, storeOptions),
    serialize: undefined,
    deserialize: undefined,
  }
  if (namespace !== undefined) out.namespace = namespace
  return out
}
