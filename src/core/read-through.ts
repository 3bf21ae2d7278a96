/**
 * Read-through and write-through: a namespace bound to its source. Reads load
 * on a miss (one load per key however many callers, one `loadMany` call per
 * batch, DataLoader-style); writes go to the source first, then to the cache,
 * one at a time per key so the cache ends holding what the source holds.
 * @module
 */
import type { Cache } from './cache.js'
import { CacheError, describe, invalidOption } from './errors.js'
import type { GetOrSetOptions, SetOptions } from './options.js'
import type { MaybePromise } from './store.js'

/**
 * What a read-through namespace reads from and writes to. The caching options
 * (`ttl`, `grace`, `tags`, `shouldCache`, …) apply to every value it stores.
 *
 * @typeParam V - the value type
 * @typeParam K - the id type (`string` or `number`); the cache key is `String(id)` unless `key` is given
 */
export interface ReadThroughSource<V, K extends string | number = string> extends GetOrSetOptions<V> {
  /** Loads one value on a miss. Without it, misses go through `loadMany` in batches. */
  load?: (id: K) => MaybePromise<V>
  /**
   * Loads many values in one call: the values in the order of `ids`, or a Map
   * from id to value (an id absent from the Map loads `undefined`). `getMany`
   * loads all its misses with one call; without `load`, concurrent `get`s in
   * one tick are batched into one call too.
   */
  loadMany?: (ids: K[]) => MaybePromise<readonly V[] | ReadonlyMap<K, V>>
  /** Writes one value to the source; required by {@link ReadThrough.write}. */
  save?: (id: K, value: V) => unknown
  /** Deletes one value from the source; required by {@link ReadThrough.remove}. */
  remove?: (id: K) => unknown
  /** Maps an id to its cache key. @defaultValue `String(id)` */
  key?: (id: K) => string
  /** Largest `loadMany` call; bigger batches are split. @defaultValue 1000 */
  maxBatch?: number
}

/**
 * A namespace bound to its source. Create it with
 * `cache.namespace(name, { load, loadMany, save, remove })`.
 *
 * @example
 * ```ts
 * const users = cache.namespace('users', {
 *   loadMany: (ids: number[]) => db.query('select * from users where id = any($1)', [ids]).then(byId(ids)),
 *   save: (id: number, user: User) => db.query('update users set name = $2 where id = $1', [id, user.name]),
 *   ttl: '10m',
 * })
 * const [a, b] = await users.getMany([1, 2]) // one database query for both misses
 * await users.write(1, { ...a, name: 'Ada' }) // database, then cache; the cache never holds what the database refused
 * ```
 */
export class ReadThrough<V, K extends string | number = string> {
  /** The plain namespace underneath, for anything this view does not cover. */
  readonly cache: Cache
  readonly #source: ReadThroughSource<V, K>
  readonly #options: GetOrSetOptions<V>
  readonly #keyOf: (id: K) => string
  readonly #maxBatch: number
  /** Per key, the tail of the queue of writes and removes, so they reach source and cache in call order. */
  readonly #queues = new Map<string, Promise<unknown>>()
  /** Ids of the current tick's `get` misses, when `get` batches through `loadMany`. */
  #pending: { ids: K[]; keys: string[]; done: Promise<Map<string, V>> } | undefined

  /** @internal use `cache.namespace(name, source)` */
  constructor(cache: Cache, source: ReadThroughSource<V, K>) {
    if (source === null || typeof source !== 'object') throw invalidOption('source', 'an object', source)
    for (const name of ['load', 'loadMany', 'save', 'remove', 'key'] as const) {
      if (source[name] !== undefined && typeof source[name] !== 'function') {
        throw invalidOption(`source.${name}`, 'a function', source[name])
      }
    }
    if (source.load === undefined && source.loadMany === undefined && source.save === undefined) {
      throw invalidOption('source', 'an object with load, loadMany or save', source)
    }
    const maxBatch = source.maxBatch ?? 1000
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw invalidOption('source.maxBatch', 'an integer ≥ 1', maxBatch)
    this.cache = cache
    this.#source = source
    const { load: _l, loadMany: _m, save: _s, remove: _r, key: _k, maxBatch: _b, ...options } = source
    this.#options = options
    this.#keyOf = source.key ?? String
    this.#maxBatch = maxBatch
  }

  /**
   * The value for `id`: from the cache, or loaded from the source on a miss
   * (once, however many callers ask at the same time).
   */
  get(id: K): Promise<V> {
    const key = this.#keyOf(id)
    const source = this.#source
    if (source.load !== undefined) {
      const load = source.load
      return this.cache.getOrSet<V>(key, () => load(id), this.#options)
    }
    if (source.loadMany === undefined) {
      return this.cache.get<V>(key) as Promise<V>
    }
    return this.cache.getOrSet<V>(key, () => this.#batched(id, key), this.#options)
  }

  /**
   * The values for `ids`, in order. The cache is read in one batch per tier;
   * the misses are loaded with one `loadMany` call (per `maxBatch` ids), or
   * with `load` per id when there is no `loadMany`.
   */
  async getMany(ids: readonly K[]): Promise<V[]> {
    if (!Array.isArray(ids)) throw invalidOption('ids', 'an array', ids)
    const source = this.#source
    if (source.loadMany === undefined) return Promise.all(ids.map((id) => this.get(id)))
    const loadMany = source.loadMany
    const keys = ids.map(this.#keyOf)
    const idOf = new Map<string, K>()
    for (let i = 0; i < keys.length; i++) idOf.set(keys[i]!, ids[i]!)
    return this.cache.getOrSetMany<V>(
      keys,
      async (missing) => {
        const out = new Map<string, V>()
        for (let start = 0; start < missing.length; start += this.#maxBatch) {
          const part = missing.slice(start, start + this.#maxBatch)
          const partIds = part.map((k) => idOf.get(k)!)
          const values = await loadMany(partIds)
          fill(out, part, partIds, values)
        }
        return out
      },
      this.#options,
    )
  }

  /**
   * Write-through: saves `value` to the source (`save`), then stores it in the
   * cache. When `save` fails, the cache is untouched and the error is thrown.
   * Writes and removes of one id run one at a time in call order, so after
   * concurrent writes the cache holds what the source holds.
   * @throws CacheError `ERR_CACHE_INVALID_OPTION` when the source has no `save`
   */
  write(id: K, value: V, options?: SetOptions): Promise<void> {
    const save = this.#source.save
    if (save === undefined) return Promise.reject(invalidOption('source.save', 'a function to write through', save))
    const key = this.#keyOf(id)
    return this.#serial(key, async () => {
      await save(id, value)
      try {
        await this.cache.set(key, value, options ?? this.#options)
      } catch (error) {
        // The source has the new value; the cache must not keep the old one.
        await this.cache.delete(key)
        throw error
      }
    })
  }

  /**
   * Deletes `id` from the source (`remove`), then from the cache; ordered with
   * writes of the same id.
   * @throws CacheError `ERR_CACHE_INVALID_OPTION` when the source has no `remove`
   */
  remove(id: K): Promise<void> {
    const remove = this.#source.remove
    if (remove === undefined) return Promise.reject(invalidOption('source.remove', 'a function', remove))
    const key = this.#keyOf(id)
    return this.#serial(key, async () => {
      await remove(id)
      await this.cache.delete(key)
    })
  }

  /** Drops `id` from the cache only (the next `get` reloads it). */
  async invalidate(id: K): Promise<void> {
    await this.cache.delete(this.#keyOf(id))
  }

  /** Reloads `id` from the source now and stores it. */
  async refresh(id: K): Promise<V> {
    await this.cache.delete(this.#keyOf(id))
    return this.get(id)
  }

  /** Runs `task` after every earlier write or remove of `key`. */
  #serial(key: string, task: () => Promise<void>): Promise<void> {
    const prev = this.#queues.get(key)
    const run = prev === undefined ? task() : prev.then(task, task)
    const tail = run.catch(noop)
    this.#queues.set(key, tail)
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key)
    })
    return run
  }

  /** Joins the current tick's batch of `get` misses; one `loadMany` call serves them all. */
  #batched(id: K, key: string): Promise<V> {
    let pending = this.#pending
    if (pending === undefined) {
      const ids: K[] = []
      const keys: string[] = []
      const done = new Promise<void>((resolve) => queueMicrotask(resolve)).then(async () => {
        this.#pending = undefined
        const out = new Map<string, V>()
        for (let start = 0; start < ids.length; start += this.#maxBatch) {
          const partIds = ids.slice(start, start + this.#maxBatch)
          fill(out, keys.slice(start, start + this.#maxBatch), partIds, await this.#source.loadMany!(partIds))
        }
        return out
      })
      pending = this.#pending = { ids, keys, done }
    }
    pending.ids.push(id)
    pending.keys.push(key)
    return pending.done.then((values) => values.get(key) as V)
  }
}

/** Copies a batch loader's answer into `out`, keyed by cache key. */
function fill<V, K>(out: Map<string, V>, keys: string[], ids: K[], values: readonly V[] | ReadonlyMap<K, V>): void {
  if (values instanceof Map) {
    for (let i = 0; i < keys.length; i++) out.set(keys[i]!, values.get(ids[i]!) as V)
    return
  }
  if (!Array.isArray(values) || values.length !== ids.length) {
    throw new CacheError(
      'ERR_CACHE_LOADER',
      `loadMany must return an array of ${ids.length} values (one per id, in order) or a Map; got ${describe(values)}${Array.isArray(values) ? ` of length ${values.length}` : ''}.`,
    )
  }
  for (let i = 0; i < keys.length; i++) out.set(keys[i]!, values[i] as V)
}

function noop(): void {}
