/**
 * The cache facade: keys, TTL and grace, tags, stampede protection, early
 * refresh, events and stats, over a stack of tiers.
 *
 * The hit path of `get` and `getOrSet` on a synchronous first tier (memory)
 * reads the tier, compares two numbers and increments one counter: no
 * allocation beyond the returned promise, no await. Everything else lives
 * in the slow path below it.
 * @module
 */

import type { Bus, BusMessage } from '../tiers/bus.js'
import { deadlineOf, withinBudget } from './budget.js'
import { type Clock, systemClock } from './clock.js'
import { type Duration, parseDuration } from './duration.js'
import type { Envelope } from './envelope.js'
import { CacheError, describe, invalidOption } from './errors.js'
import { type CacheEventName, type CacheListener, Emitter } from './events.js'
import {
  type CacheOptions,
  checkTags,
  type GetOrSetOptions,
  type Loader,
  type LoaderContext,
  type PurgeHook,
  parseEarlyRefresh,
  type RefreshPolicy,
  type ResolvedOptions,
  resolveOptions,
  type SetOptions,
  type TouchOptions,
} from './options.js'
import { ReadThrough, type ReadThroughSource } from './read-through.js'
import { defaultSerializer } from './serializer.js'
import { SharedTagVersions, sameVersions } from './shared-tag-versions.js'
import { addCounters, type CacheCounters, type CacheStats, newCounters, snapshot } from './stats.js'
import type { EvictionReason, MaybePromise, Store } from './store.js'
import { LocalTagVersions, namespaceTag, readVersions, type TagVersionSource, tagsCurrent } from './tags.js'
import { TierStack } from './tier-stack.js'

/** A load in flight; `discard` is set when a write or delete overtakes it, so its value is not stored. */
interface Flight {
  promise: Promise<unknown>
  discard: boolean
}

/**
 * A getOrSet reading the lower tiers before it may load. Registered before the
 * first await, so a write, delete or clear during that read keeps the load it
 * may start from storing an older value (as for a {@link Flight}).
 */
interface Reader {
  discard: boolean
  count: number
}

/** What a getOrSet saw when it was called: the load it starts records these versions. */
interface Snapshot {
  tags: readonly string[] | undefined
  versions: number[] | Promise<number[]> | undefined
  reader: Reader
}

/** Runs every purge hook; rejects with ERR_CACHE_PURGE, naming the failures, once all have run. */
async function purgeAll(hooks: readonly PurgeHook[], tags: readonly string[]): Promise<void> {
  const copy = [...tags]
  const results = await Promise.allSettled(hooks.map((hook) => hook(copy)))
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, reason: r.reason as unknown }] : []))
  if (failed.length === 0) return
  const what = failed.map((f) => `purge[${f.i}]: ${f.reason instanceof Error ? f.reason.message : String(f.reason)}`)
  throw new CacheError(
    'ERR_CACHE_PURGE',
    `${failed.length} of ${hooks.length} purge hooks failed after the tags were invalidated in the tiers (${what.join('; ')}).`,
    { cause: failed.length === 1 ? failed[0]!.reason : new AggregateError(failed.map((f) => f.reason)) },
  )
}

/** @internal State shared by a cache and its namespaces. */
class CacheCore {
  readonly opts: ResolvedOptions
  readonly clock: Clock
  readonly stack: TierStack
  readonly emitter = new Emitter()
  /** Versions for L1 hits: the shared tier's (with a local window) or this process's own. */
  readonly versions: TagVersionSource
  /** The shared versions, when a tier offers them. */
  readonly shared: SharedTagVersions | undefined
  readonly inflight = new Map<string, Flight>()
  readonly readers = new Map<string, Reader>()
  /** Local writes waiting for tag versions; only a later local write, delete or clear overtakes them. */
  readonly writers = new Map<string, Reader>()
  /** Counters by namespace prefix ('' for the root). */
  readonly counters = new Map<string, { name: string; counters: CacheCounters }>()
  readonly bus: Bus | undefined
  /** The tiers in this process's memory: the ones a bus message must reach. */
  readonly local: readonly Store[]
  /** The lowest tier that offers cross-process locks, for `getOrSet(…, { lock })`. */
  readonly lockTier: Store | undefined
  /** Callers waiting for another process's locked load of a key, woken by the bus. */
  readonly waiters = new Map<string, Set<() => void>>()
  /** The most one call waits on its tiers, all operations together (ms; `Infinity`: no budget). */
  readonly budget: number
  closed = false

  constructor(tiers: Store[], options: CacheOptions, opts: ResolvedOptions) {
    this.opts = opts
    this.budget = opts.budget ?? Number.POSITIVE_INFINITY
    this.clock = options.clock ?? systemClock
    this.stack = new TierStack(tiers, options.serializer ?? defaultSerializer, this.emitter, opts.strict)
    const vt = this.stack.versionsTier
    if (vt >= 0) {
      const tier = tiers[vt]!
      this.shared = new SharedTagVersions(tier.versions!, this.clock, opts.versionsMaxAge, (operation, fn) =>
        this.stack.call(tier, operation, undefined, fn),
      )
      this.stack.shared = this.shared
      this.versions = this.shared
    } else {
      this.shared = undefined
      this.versions = new LocalTagVersions()
    }
    for (const tier of tiers) {
      const name = tier.name
      tier.init?.({ clock: this.clock, onEvict: (key, reason) => this.#onEvict(key, reason, name) })
    }
    this.local = tiers.filter((t) => !t.binary)
    // Keys deleted from a shared tier after it missed their change: other processes drop their copies.
    this.stack.repair.onRepaired = (keys) => void this.publish({ keys: [...keys] })
    this.stack.now = () => this.clock.now()
    this.lockTier = tiers.findLast((t) => typeof t.lock === 'function')
    this.bus = options.bus
    if (this.bus !== undefined) {
      const joined = this.bus.join({ message: (m) => this.#onBusMessage(m), resync: () => this.#onResync() })
      if (joined instanceof Promise)
        joined.catch((error: unknown) => this.emitter.emit('error', { error, operation: 'bus' }))
    }
  }

  /** Tells other processes what changed; never rejects (a bus counts its own failures). */
  publish(message: BusMessage): Promise<void> | undefined {
    return this.bus?.publish(message)
  }

  #onBusMessage(m: BusMessage): void {
    if (m.clears !== undefined) {
      for (const prefix of m.clears) {
        this.discard(undefined, prefix, true)
        for (const tier of this.local) void tier.clear(prefix)
        if (prefix !== '') this.versions.changed?.([namespaceTag(prefix)])
      }
    }
    if (m.tags !== undefined && m.tags.length > 0) this.versions.changed?.(m.tags)
    if (m.keys !== undefined) {
      for (const key of m.keys) {
        this.discard(key, undefined, true)
        for (const tier of this.local) void tier.delete(key)
        const waiting = this.waiters.get(key)
        if (waiting !== undefined) for (const wake of waiting) wake()
      }
    }
  }

  #onResync(): void {
    this.discard(undefined, undefined, true)
    for (const tier of this.local) void tier.clear('')
    this.versions.resync?.()
  }

  /**
   * The versions to record in an entry being loaded now: the local copy may be
   * older than the shared tier (a bus message not heard yet), which can only
   * make the loaded value stale, never serve one past an invalidation.
   */
  versionsFor(names: readonly string[]): number[] | Promise<number[]> {
    return this.shared === undefined ? readVersions(this.versions, names) : this.shared.forWrite(names)
  }

  /**
   * The versions to record in an entry the caller writes (`set`, `setMany`):
   * read from the shared tier, so a write made just after another process's
   * invalidation, before its bus message arrives, is not born invalidated.
   */
  versionsForSet(names: readonly string[]): number[] | Promise<number[]> {
    return this.shared === undefined ? readVersions(this.versions, names) : this.shared.exact(names)
  }

  /**
   * Whether an L1 entry's tags are current, re-reading the shared versions
   * when the local copy is past its window. Only for entries with tags.
   */
  async tagsCurrentNow(env: Envelope): Promise<boolean> {
    if (tagsCurrent(env, this.versions)) return true
    if (this.shared === undefined) return false
    return sameVersions(env.tagVersions, await this.shared.exact(env.tags!))
  }

  countersFor(prefix: string, name: string): CacheCounters {
    let entry = this.counters.get(prefix)
    if (entry === undefined) {
      entry = { name, counters: newCounters() }
      this.counters.set(prefix, entry)
    }
    return entry.counters
  }

  /** The counters of the innermost namespace holding `key`. */
  #countersOfKey(key: string): CacheCounters {
    let best = this.counters.get('')!.counters
    if (this.counters.size > 1) {
      for (let p = key.indexOf(':'); p !== -1; p = key.indexOf(':', p + 1)) {
        const found = this.counters.get(key.slice(0, p + 1))
        if (found !== undefined) best = found.counters
      }
    }
    return best
  }

  #onEvict(key: string, reason: EvictionReason, tier: string): void {
    const c = this.#countersOfKey(key)
    if (reason === 'expired') c.expirations++
    else c.evictions++
    if (this.emitter.listeners.evict !== undefined) this.emitter.emit('evict', { key, reason, tier })
  }

  /**
   * Watches `key` for writes during an await: a set, delete or clear of it from
   * now on marks the returned reader (`discard`), so what was read before it is
   * not written back over it. Pair with {@link CacheCore.unwatch}.
   */
  watch(key: string, map = this.readers): Reader {
    let reader = map.get(key)
    if (reader === undefined) {
      reader = { discard: false, count: 0 }
      map.set(key, reader)
    }
    reader.count++
    return reader
  }

  unwatch(key: string, reader: Reader, map = this.readers): void {
    if (--reader.count === 0 && map.get(key) === reader) map.delete(key)
  }

  /**
   * Watches `key` for later *local* writes while a write of it waits (for tag
   * versions): a set, delete or clear called after it in this process marks the
   * reader. A bus message does not: it may tell of a remote write older than this one.
   */
  watchWrites(key: string): Reader {
    return this.watch(key, this.writers)
  }

  /**
   * Marks in-flight loads and reads of `key` (or of every key with `prefix`) as
   * overtaken, and, unless `remote` (a bus message), local writes waiting to land.
   */
  discard(key: string | undefined, prefix?: string, remote = false): void {
    if (!remote && this.writers.size > 0) discardIn(this.writers, key, prefix)
    discardIn(this.inflight, key, prefix)
    discardIn(this.readers, key, prefix)
  }
}

function noop(): void {}

const NOT_FOUND = { fresh: undefined, stale: undefined } as const

/** Marks and forgets the readers of `key`, or of every key with `prefix` (all when both are absent). */
function discardIn(map: Map<string, { discard: boolean }>, key: string | undefined, prefix: string | undefined): void {
  if (key !== undefined) {
    const r = map.get(key)
    if (r !== undefined) {
      r.discard = true
      map.delete(key)
    }
    return
  }
  for (const [k, r] of map) {
    if (prefix === undefined || prefix === '' || k.startsWith(prefix)) {
      r.discard = true
      map.delete(k)
    }
  }
}

/** How long `lock: true` waits for another process's load before loading itself. */
const DEFAULT_LOCK_WAIT = 5000

/**
 * Checks every option of one getOrSet call up front, so a bad value fails the
 * call that passed it rather than a later one that needs it (a bad `timeout`
 * would otherwise surface only when the source fails).
 */
function checkGetOrSetOptions(options: GetOrSetOptions<never>): void {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('options', 'an object of getOrSet options', options)
  }
  if (options.ttl !== undefined) parseDuration(options.ttl, 'ttl')
  if (options.grace !== undefined) parseDuration(options.grace, 'grace')
  if (options.timeout !== undefined) parseDuration(options.timeout, 'timeout')
  if (options.minLoadTime !== undefined) parseDuration(options.minLoadTime, 'minLoadTime')
  if (options.earlyRefresh !== undefined) parseEarlyRefresh(options.earlyRefresh)
  if (options.shouldCache !== undefined && typeof options.shouldCache !== 'function') {
    throw invalidOption('shouldCache', 'a function (value) => boolean', options.shouldCache)
  }
  const lock = options.lock
  if (lock !== undefined && typeof lock !== 'boolean') parseDuration(lock, 'lock')
}

/** Parsed per-call `earlyRefresh` objects: a hit that passes the same options object (refreshAhead does) parses it once. */
const refreshPolicies = new WeakMap<object, RefreshPolicy>()

function refreshPolicyOf(input: NonNullable<GetOrSetOptions<unknown>['earlyRefresh']>): RefreshPolicy {
  if (typeof input !== 'object' || input === null) return parseEarlyRefresh(input)
  let policy = refreshPolicies.get(input)
  if (policy === undefined) {
    policy = parseEarlyRefresh(input)
    refreshPolicies.set(input, policy)
  }
  return policy
}

/** The events {@link Cache.on} accepts (a record, so a new event cannot be forgotten here). */
const EVENT_NAMES: ReadonlySet<string> = new Set(
  Object.keys({
    hit: 1,
    miss: 1,
    stale: 1,
    load: 1,
    loadError: 1,
    set: 1,
    delete: 1,
    evict: 1,
    invalidate: 1,
    clear: 1,
    tierOp: 1,
    error: 1,
  } satisfies Record<CacheEventName, 1>),
)

/** A batch loader's answer as an array in the order of `keys`. */
function normalizeBatch<T>(raw: readonly T[] | ReadonlyMap<string, T>, keys: readonly string[]): T[] {
  if (raw instanceof Map) return keys.map((k) => raw.get(k) as T)
  if (Array.isArray(raw) && raw.length === keys.length) return raw as T[]
  throw new CacheError(
    'ERR_CACHE_LOADER',
    `A batch loader must return an array with one value per key (${keys.length}, in order) or a Map; got ${describe(raw)}${Array.isArray(raw) ? ` of length ${raw.length}` : ''}.`,
  )
}

/**
 * A cache, or a namespace of one. Create it with {@link createCache}; get a
 * namespace with {@link Cache.namespace}. All methods are safe to call
 * concurrently.
 */
export class Cache {
  readonly #core: CacheCore
  /** The key prefix of this namespace, `''` for the root, `'users:'` for `namespace('users')`. */
  readonly #prefix: string
  readonly #name: string
  /** Version names of this namespace and its parents; every entry written here records them. */
  readonly #nsTags: readonly string[] | undefined
  readonly #counters: CacheCounters
  readonly #children = new Map<string, Cache>()

  /** @internal use {@link createCache} */
  constructor(core: CacheCore, prefix: string, name: string, nsTags: readonly string[] | undefined) {
    this.#core = core
    this.#prefix = prefix
    this.#name = name
    this.#nsTags = nsTags
    this.#counters = core.countersFor(prefix, name)
  }

  /** The namespace's full name (`''` for the root cache). */
  get name(): string {
    return this.#name
  }

  /**
   * The fresh value under `key`, or `undefined`.
   * @throws CacheError `ERR_CACHE_KEY` (as a rejection) for an invalid key
   */
  get<T = unknown>(key: string): Promise<T | undefined> {
    if (typeof key !== 'string' || key.length === 0 || key.length > this.#core.opts.maxKeyLength) {
      return Promise.reject(this.#keyError(key))
    }
    const core = this.#core
    const full = this.#prefix === '' ? key : this.#prefix + key
    const l1 = core.stack.sync
    if (l1 !== undefined) {
      const env = l1.get(full)
      if (
        env !== undefined &&
        env.freshUntil > core.clock.now() &&
        (env.tags === undefined || tagsCurrent(env, core.versions))
      ) {
        this.#counters.hits++
        if (core.emitter.listeners.hit !== undefined) core.emitter.emit('hit', { key, namespace: this.#name, tier: 0 })
        return Promise.resolve(env.value as T)
      }
      if (core.stack.tiers.length === 1 && (env?.tags === undefined || core.shared === undefined)) {
        this.#miss(key)
        return Promise.resolve(undefined)
      }
      return this.#getSlow<T>(key, full, 1, env)
    }
    return this.#getSlow<T>(key, full, 0, undefined)
  }

  /**
   * The fresh value under `key` from a synchronous first tier (memory), or
   * `undefined` when that tier does not hold it fresh (or the first tier is
   * not synchronous). Never reads slower tiers; counts a hit only when it finds
   * one, so a caller can fall back to {@link Cache.get} or
   * {@link Cache.getOrSet} on `undefined` without counting a miss twice.
   *
   * For request hot paths (the HTTP route cache) that answer a memory hit
   * without a promise.
   */
  getSync<T = unknown>(key: string): T | undefined {
    const core = this.#core
    const l1 = core.stack.sync
    if (l1 === undefined || typeof key !== 'string') return undefined
    const env = l1.get(this.#prefix === '' ? key : this.#prefix + key)
    if (
      env === undefined ||
      env.freshUntil <= core.clock.now() ||
      (env.tags !== undefined && !tagsCurrent(env, core.versions))
    ) {
      return undefined
    }
    this.#counters.hits++
    if (core.emitter.listeners.hit !== undefined) core.emitter.emit('hit', { key, namespace: this.#name, tier: 0 })
    return env.value as T
  }

  async #getSlow<T>(key: string, full: string, from: number, l1Env: Envelope | undefined): Promise<T | undefined> {
    const core = this.#core
    const now = core.clock.now()
    // A write or delete landing while the lower tiers are read wins over what they return.
    const watch = core.watch(full)
    try {
      if (this.#mayRevalidate(l1Env, now) && (await this.#revalidate(l1Env!))) {
        this.#hit(key, 0)
        return l1Env!.value as T
      }
      const { fresh } = await core.stack.read(full, from, now, (env, current) => this.#usable(env, now, current), watch)
      if (fresh !== undefined) {
        this.#hit(key, fresh.tier)
        return fresh.env.value as T
      }
      this.#miss(key)
      return undefined
    } finally {
      core.unwatch(full, watch)
    }
  }

  /**
   * The value under `key`; on a miss, runs `loader` once however many callers
   * ask at the same time, stores its value and resolves every caller with it
   * (or rejects every caller with its error).
   *
   * When the loader fails (or is slower than `timeout`) and a stale value
   * within grace exists, that value is served instead and a `stale` event emitted.
   *
   * @param key - the key (without namespace prefix)
   * @param loader - produces the value on a miss; receives a {@link LoaderContext}
   * @param options - per call: `ttl`, `grace`, `tags`, `timeout`, `earlyRefresh`, `shouldCache`, `minLoadTime`
   * @example
   * ```ts
   * const user = await cache.getOrSet(`user:${id}`, () => db.users.find(id), { ttl: '10m', tags: ['users'] })
   * ```
   */
  getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions<T>): Promise<T> {
    if (typeof key !== 'string' || key.length === 0 || key.length > this.#core.opts.maxKeyLength) {
      return Promise.reject(this.#keyError(key))
    }
    const core = this.#core
    const full = this.#prefix === '' ? key : this.#prefix + key
    const l1 = core.stack.sync
    let l1Env: Envelope | undefined
    if (l1 !== undefined) {
      l1Env = l1.get(full)
      if (l1Env !== undefined) {
        const now = core.clock.now()
        if (l1Env.freshUntil > now && (l1Env.tags === undefined || tagsCurrent(l1Env, core.versions))) {
          this.#counters.hits++
          if (core.emitter.listeners.hit !== undefined)
            core.emitter.emit('hit', { key, namespace: this.#name, tier: 0 })
          if (core.opts.refresh.mode !== 0 || options?.earlyRefresh !== undefined) {
            try {
              this.#maybeRefresh(key, full, l1Env, now, loader, options)
            } catch (error) {
              return Promise.reject(error)
            }
          }
          return Promise.resolve(l1Env.value as T)
        }
      }
    }
    return this.#getOrSetSlow(key, full, loader, options, l1 === undefined ? 0 : 1, l1Env)
  }

  async #getOrSetSlow<T>(
    key: string,
    full: string,
    loader: Loader<T>,
    options: GetOrSetOptions<T> | undefined,
    from: number,
    l1Env: Envelope | undefined,
  ): Promise<T> {
    const core = this.#core
    if (typeof loader !== 'function') throw invalidOption('loader', 'a function', loader)
    if (core.closed) throw this.#closedError()
    // Every option is checked on the way in, not when it is first needed (a bad
    // `timeout` would otherwise surface only when the source fails).
    if (options !== undefined) checkGetOrSetOptions(options)
    const now = core.clock.now()
    // Before the first await: what a load started after the reads below must record and
    // respect, and what the reads may copy up: a write landing meanwhile wins over both.
    const reader = core.watch(full)
    const snap: Snapshot | undefined = core.inflight.has(full)
      ? undefined
      : { tags: this.#tagNames(options?.tags), versions: undefined, reader }
    if (snap?.tags !== undefined) snap.versions = core.versionsFor(snap.tags)
    try {
      return await this.#readThenLoad(
        key,
        full,
        loader,
        options,
        from,
        l1Env,
        now,
        snap,
        reader,
        deadlineOf(core.budget),
      )
    } finally {
      core.unwatch(full, reader)
    }
  }

  async #readThenLoad<T>(
    key: string,
    full: string,
    loader: Loader<T>,
    options: GetOrSetOptions<T> | undefined,
    from: number,
    l1Env: Envelope | undefined,
    now: number,
    snap: Snapshot | undefined,
    reader: Reader,
    deadline: number,
  ): Promise<T> {
    const core = this.#core
    if (this.#mayRevalidate(l1Env, now) && (await this.#revalidate(l1Env!))) {
      this.#hit(key, 0)
      return l1Env!.value as T
    }
    let stale = l1Env !== undefined && l1Env.staleUntil > now ? l1Env : undefined
    if (from < core.stack.tiers.length) {
      const reading = core.stack.read(full, from, now, (env, current) => this.#usable(env, now, current), reader)
      // Past the call's budget a tier that has not answered counts as a miss.
      const found = await withinBudget(reading, deadline, NOT_FOUND, core.opts.strict, `reading "${key}"`)
      if (found.fresh !== undefined) {
        this.#hit(key, found.fresh.tier)
        if (core.opts.refresh.mode !== 0 || options?.earlyRefresh !== undefined) {
          this.#maybeRefresh(key, full, found.fresh.env, core.clock.now(), loader, options)
        }
        return found.fresh.env.value as T
      }
      if (found.stale !== undefined && (stale === undefined || found.stale.env.createdAt > stale.createdAt)) {
        stale = found.stale.env
      }
      now = core.clock.now()
    }
    this.#miss(key)
    // The budget left for the write after the load: the loader's own time is not the tier's.
    const left = deadline === Number.POSITIVE_INFINITY ? deadline : Math.max(0, deadline - performance.now())
    const flight = core.inflight.get(full) ?? this.#startLoad(key, full, loader, options, stale, snap, left)
    const promise = flight.promise as Promise<T>
    if (stale === undefined || stale.staleUntil <= now) return promise
    return this.#withStaleFallback(key, promise, stale.value as T, options)
  }

  /** Serves `staleValue` when the load fails, or when it outlasts the soft timeout. */
  #withStaleFallback<T>(
    key: string,
    load: Promise<T>,
    staleValue: T,
    options: GetOrSetOptions<T> | undefined,
  ): Promise<T> {
    // One call serves the stale value at most once: a soft timeout followed by a failure is one stale hit.
    let served = false
    const guarded = load.catch((error: unknown) => {
      if (!served) this.#serveStale(key, 'error', error)
      served = true
      return staleValue
    })
    const timeout = options?.timeout === undefined ? this.#core.opts.timeout : parseDuration(options.timeout, 'timeout')
    if (timeout === undefined) return guarded
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        served = true
        this.#serveStale(key, 'timeout', undefined)
        resolve(staleValue)
      }, timeout)
      void guarded.then((value) => {
        clearTimeout(timer)
        resolve(value)
      })
    })
  }

  #serveStale(key: string, reason: 'error' | 'timeout', error: unknown): void {
    this.#counters.staleHits++
    const emitter = this.#core.emitter
    if (emitter.listeners.stale !== undefined) {
      emitter.emit(
        'stale',
        reason === 'error' ? { key, namespace: this.#name, reason, error } : { key, namespace: this.#name, reason },
      )
    }
  }

  /** Starts one load of `full`, registered so concurrent misses share it. */
  #startLoad<T>(
    key: string,
    full: string,
    loader: Loader<T>,
    options: GetOrSetOptions<T> | undefined,
    stale: Envelope | undefined,
    snap?: Snapshot,
    budgetLeft = Number.POSITIVE_INFINITY,
  ): Flight {
    const core = this.#core
    let ttl = options?.ttl === undefined ? core.opts.ttl : parseDuration(options.ttl, 'ttl')
    const grace = options?.grace === undefined ? core.opts.grace : parseDuration(options.grace, 'grace')
    const minLoadTime = options?.minLoadTime === undefined ? 0 : parseDuration(options.minLoadTime, 'minLoadTime')
    const shouldCache = options?.shouldCache
    // Versions are read before the loader starts: an invalidation during the load
    // makes the loaded value stale at once, instead of hiding the invalidation.
    let tags = snap === undefined ? this.#tagNames(options?.tags) : snap.tags
    let versions: number[] | Promise<number[]> | undefined =
      snap !== undefined ? snap.versions : tags === undefined ? undefined : core.versionsFor(tags)
    let lateNames: string[] | undefined
    let lateVersions: (number[] | Promise<number[]>)[] | undefined
    const ctx: LoaderContext<T> = {
      key,
      staleValue: stale?.value as T | undefined,
      setTtl(next: Duration) {
        ttl = parseDuration(next, 'setTtl')
      },
      setTags(more: readonly string[]) {
        const added = checkTags(more, 'setTags')
        tags = tags === undefined ? added : [...tags, ...added]
        // Versions of tags added during the load are read now: an invalidation after
        // this call makes the loaded value stale, as for tags given up front.
        lateNames = lateNames === undefined ? [...added] : [...lateNames, ...added]
        const read = core.versionsFor(added)
        if (!Array.isArray(read)) read.catch(noop)
        ;(lateVersions ??= []).push(read)
      },
    }
    const flight: Flight = { promise: undefined as unknown as Promise<unknown>, discard: snap?.reader.discard === true }
    const lock = options?.lock
    // Checked even without a lock tier, so a bad value fails where it is written.
    const lockMs =
      lock === undefined || lock === false ? 0 : lock === true ? DEFAULT_LOCK_WAIT : parseDuration(lock, 'lock')
    let started = core.clock.now()
    /** When the tier waits after the load must end: set once the loader returns (its time is not the tier's). */
    let afterLoad: number | undefined
    const run = async (): Promise<T> => {
      let release: (() => Promise<void>) | undefined
      if (lockMs > 0 && core.lockTier !== undefined) {
        const got = await this.#lockOrWait(full, lockMs)
        if (got.env !== undefined) return got.env.value as T
        release = got.release
        started = core.clock.now()
      }
      try {
        return await load()
      } finally {
        if (release !== undefined) {
          // Waiters in other processes hear of the value over the bus before the lock goes.
          // Within what is left of the call's budget: a frozen tier must not hold the caller
          // up once more for the release (the lock expires on its own).
          const deadline = afterLoad ?? deadlineOf(budgetLeft)
          const unlock = async () => {
            if (core.bus !== undefined) await core.publish({ keys: [full] })
            await release!().catch((error: unknown) => core.stack.fail(core.lockTier!, 'unlock', full, error))
          }
          await withinBudget(unlock(), deadline, undefined, false, `releasing the lock of "${key}"`)
        }
      }
    }
    const load = async (): Promise<T> => {
      let value: T
      try {
        if (versions !== undefined && !Array.isArray(versions)) versions = await versions
        value = await loader(ctx)
      } catch (error) {
        this.#counters.loadErrors++
        if (core.emitter.listeners.loadError !== undefined) {
          core.emitter.emit('loadError', { key, namespace: this.#name, error, duration: core.clock.now() - started })
        }
        throw error
      }
      afterLoad = deadlineOf(budgetLeft)
      const now = core.clock.now()
      const duration = now - started
      this.#counters.loads++
      if (core.emitter.listeners.load !== undefined) core.emitter.emit('load', { key, namespace: this.#name, duration })
      if (!flight.discard && duration >= minLoadTime && (shouldCache === undefined || shouldCache(value))) {
        let recorded = versions as number[] | undefined
        if (lateVersions !== undefined) recorded = [...(recorded ?? []), ...(await Promise.all(lateVersions)).flat()]
        const env = this.#envelope(value, now, ttl, grace, tags, recorded, duration)
        // The value is good; only storing it may fail (for example it cannot be serialized). Serve it, report it.
        const writing = this.#write(key, full, env).catch((error: unknown) => {
          core.stack.fail(core.stack.tiers[0]!, 'set', full, error)
        })
        // What is left of the call's budget after its read: a frozen tier costs one budget, not two.
        // The write goes on past it (the memory tier has it at once).
        await withinBudget(writing, afterLoad, undefined, false, `writing "${key}"`)
      }
      return value
    }
    flight.promise = run().finally(() => {
      if (core.inflight.get(full) === flight) core.inflight.delete(full)
    })
    core.inflight.set(full, flight)
    return flight
  }

  /**
   * Takes the cross-process lock of `full`, or waits for the process holding
   * it to store a value: woken by the bus, or polling the tiers, until `ms`
   * have passed. Then the caller loads itself (`{}`): a lock is a courtesy,
   * never a reason to fail.
   */
  async #lockOrWait(full: string, ms: number): Promise<{ release?: () => Promise<void>; env?: Envelope }> {
    const core = this.#core
    const tier = core.lockTier!
    const deadline = performance.now() + ms
    let pause = 10
    for (;;) {
      let release: (() => Promise<void>) | undefined
      try {
        release = await tier.lock!(full, ms)
      } catch (error) {
        core.stack.fail(tier, 'lock', full, error)
        return {}
      }
      if (release !== undefined) return { release }
      const left = deadline - performance.now()
      if (left <= 0) return {}
      await this.#notice(full, Math.min(left, pause))
      pause = Math.min(pause * 2, 100)
      const now = core.clock.now()
      const found = await core.stack.read(full, 0, now, (env) => this.#usable(env, now))
      if (found.fresh !== undefined) return { env: found.fresh.env }
    }
  }

  /** Resolves when the bus says `full` changed, or after `ms`. */
  #notice(full: string, ms: number): Promise<void> {
    const waiters = this.#core.waiters
    return new Promise<void>((resolve) => {
      let set = waiters.get(full)
      if (set === undefined) {
        set = new Set()
        waiters.set(full, set)
      }
      const mine = set
      const done = () => {
        clearTimeout(timer)
        mine.delete(done)
        if (mine.size === 0 && waiters.get(full) === mine) waiters.delete(full)
        resolve()
      }
      const timer = setTimeout(done, ms)
      mine.add(done)
    })
  }

  #maybeRefresh<T>(
    key: string,
    full: string,
    env: Envelope,
    now: number,
    loader: Loader<T>,
    options: GetOrSetOptions<T> | undefined,
  ): void {
    const policy: RefreshPolicy =
      options?.earlyRefresh === undefined ? this.#core.opts.refresh : refreshPolicyOf(options.earlyRefresh)
    if (policy.mode === 0 || env.freshUntil === Number.POSITIVE_INFINITY || this.#core.inflight.has(full)) return
    const due =
      policy.mode === 2
        ? now >= env.createdAt + policy.ratio * (env.freshUntil - env.createdAt)
        : env.loadTime > 0 && now - env.loadTime * policy.beta * Math.log(Math.random()) >= env.freshUntil
    if (due) this.#startLoad(key, full, loader, options, env).promise.catch(noop)
  }

  /**
   * Caches a rendered piece of a page (HTML or any string): `getOrSet` for
   * strings, so a fragment is rendered once however many requests need it,
   * and is invalidated by its tags like any entry.
   *
   * @param key - the fragment's key, for example `sidebar:${locale}`
   * @param render - renders the fragment on a miss
   * @param options - as for {@link Cache.getOrSet}
   * @example
   * ```ts
   * const sidebar = await cache.fragment('sidebar', () => renderSidebar(categories), { ttl: '10m', tags: ['categories'] })
   * ```
   */
  fragment(key: string, render: Loader<string>, options?: GetOrSetOptions<string>): Promise<string> {
    return this.getOrSet<string>(key, render, options)
  }

  /**
   * The values under `keys`, in order; the misses are loaded by ONE call of
   * `loadMany` (DataLoader-style), stored, and returned. A key already being
   * loaded (by `getOrSet` or another batch) joins that load instead. A write or
   * delete of a key while the batch runs overtakes it: the batch's value for
   * that key is returned to this caller but not stored, so the write wins.
   *
   * @param keys - the keys (without namespace prefix); duplicates are loaded once
   * @param loadMany - receives the missing keys; returns their values in the same
   *   order, or a Map from key to value (a key absent from the Map loads `undefined`)
   * @param options - as for {@link Cache.getOrSet} (`timeout` and grace fallback do not apply to batches)
   * @example
   * ```ts
   * const users = await cache.getOrSetMany(ids.map(String), (keys) => db.users.findMany(keys))
   * ```
   */
  async getOrSetMany<T>(
    keys: readonly string[],
    loadMany: (keys: string[]) => MaybePromise<readonly T[] | ReadonlyMap<string, T>>,
    options?: GetOrSetOptions<T>,
  ): Promise<T[]> {
    if (!Array.isArray(keys)) throw invalidOption('keys', 'an array of keys', keys)
    if (typeof loadMany !== 'function') throw invalidOption('loadMany', 'a function', loadMany)
    const core = this.#core
    if (core.closed) throw this.#closedError()
    if (options !== undefined) {
      checkGetOrSetOptions(options)
      if (options.lock !== undefined && options.lock !== false) {
        throw invalidOption(
          'lock',
          'false or absent: getOrSetMany loads a batch in one call (use getOrSet for a locked load)',
          options.lock,
        )
      }
    }
    const fulls = keys.map((k) => this.#full(k))
    // Writes landing while the tiers are read win over the batch (its copy-ups and its load).
    const readers = fulls.map((full) => core.watch(full))
    try {
      return await this.#readThenLoadMany(keys, fulls, readers, loadMany, options)
    } finally {
      for (let i = 0; i < fulls.length; i++) core.unwatch(fulls[i]!, readers[i]!)
    }
  }

  async #readThenLoadMany<T>(
    keys: readonly string[],
    fulls: string[],
    readers: Reader[],
    loadMany: (keys: string[]) => MaybePromise<readonly T[] | ReadonlyMap<string, T>>,
    options: GetOrSetOptions<T> | undefined,
  ): Promise<T[]> {
    const core = this.#core
    const now = core.clock.now()
    const found = await core.stack.readMany(fulls, 0, now, (env, current) => this.#usable(env, now, current))
    const out = new Array<T>(keys.length)
    const waits: Promise<void>[] = []
    const batchIndex = new Map<string, number>()
    const batchKeys: string[] = []
    /** Pairs (index in `keys`, index in `batchKeys`). */
    const slots: number[] = []
    const batchReaders: Reader[] = []
    const writeBack: Promise<void>[] = []
    for (let i = 0; i < keys.length; i++) {
      const f = found[i]
      const key = keys[i]!
      if (f !== undefined) {
        out[i] = f.env.value as T
        this.#hit(key, f.tier)
        if (f.tier > 0 && !readers[i]!.discard) writeBack.push(core.stack.write(fulls[i]!, f.env, f.tier))
        continue
      }
      this.#miss(key)
      const flight = core.inflight.get(fulls[i]!)
      if (flight !== undefined && !batchIndex.has(fulls[i]!)) {
        waits.push((flight.promise as Promise<T>).then((v) => void (out[i] = v)))
        continue
      }
      let j = batchIndex.get(fulls[i]!)
      if (j === undefined) {
        j = batchKeys.length
        batchIndex.set(fulls[i]!, j)
        batchKeys.push(key)
        batchReaders.push(readers[i]!)
      }
      slots.push(i, j)
    }
    if (batchKeys.length > 0) {
      const batch = this.#loadBatch(batchKeys, loadMany, options, batchReaders)
      waits.push(
        batch.then((values) => {
          for (let s = 0; s < slots.length; s += 2) out[slots[s]!] = values[slots[s + 1]!] as T
        }),
      )
    }
    // One await for both: a failing load is handled even while copy-ups are pending.
    await Promise.all([...writeBack, ...waits])
    return out
  }

  /** Runs one batch load, registered per key so single loads join it and writes overtake it. */
  #loadBatch<T>(
    keys: string[],
    loadMany: (keys: string[]) => MaybePromise<readonly T[] | ReadonlyMap<string, T>>,
    options: GetOrSetOptions<T> | undefined,
    readers?: readonly Reader[],
  ): Promise<T[]> {
    const core = this.#core
    const ttl = options?.ttl === undefined ? core.opts.ttl : parseDuration(options.ttl, 'ttl')
    const grace = options?.grace === undefined ? core.opts.grace : parseDuration(options.grace, 'grace')
    const minLoadTime = options?.minLoadTime === undefined ? 0 : parseDuration(options.minLoadTime, 'minLoadTime')
    const shouldCache = options?.shouldCache
    const tags = this.#tagNames(options?.tags)
    // Read before the load starts: an invalidation during the load makes its values stale at once.
    const versionsNow = tags === undefined ? undefined : core.versionsFor(tags)
    const fulls = keys.map((k) => this.#full(k))
    const flights: Flight[] = fulls.map((_, j) => ({
      promise: undefined as unknown as Promise<unknown>,
      discard: readers?.[j]?.discard === true,
    }))
    const started = core.clock.now()
    const run = async (): Promise<T[]> => {
      let values: T[]
      let versions: number[] | undefined
      try {
        versions = await versionsNow
        const raw = await loadMany(keys.slice())
        values = normalizeBatch(raw, keys)
      } catch (error) {
        this.#counters.loadErrors += keys.length
        if (core.emitter.listeners.loadError !== undefined) {
          const duration = core.clock.now() - started
          for (const key of keys) core.emitter.emit('loadError', { key, namespace: this.#name, error, duration })
        }
        throw error
      }
      const now = core.clock.now()
      const duration = now - started
      this.#counters.loads += keys.length
      const list: { key: string; env: Envelope }[] = []
      for (let j = 0; j < keys.length; j++) {
        if (core.emitter.listeners.load !== undefined) {
          core.emitter.emit('load', { key: keys[j]!, namespace: this.#name, duration })
        }
        // A write or delete of this key during the read or the load marked it: the write wins.
        if (flights[j]!.discard || readers?.[j]?.discard === true || duration < minLoadTime) continue
        if (shouldCache !== undefined && !shouldCache(values[j] as T)) continue
        list.push({ key: fulls[j]!, env: this.#envelope(values[j], now, ttl, grace, tags, versions, duration) })
      }
      if (list.length > 0) {
        try {
          await core.stack.writeMany(list)
          this.#counters.sets += list.length
          if (core.bus !== undefined) await core.publish({ keys: list.map((e) => e.key) })
        } catch (error) {
          core.stack.fail(core.stack.tiers[0]!, 'setMany', undefined, error)
        }
      }
      return values
    }
    const batch = run().finally(() => {
      for (let j = 0; j < fulls.length; j++) {
        if (core.inflight.get(fulls[j]!) === flights[j]) core.inflight.delete(fulls[j]!)
      }
    })
    for (let j = 0; j < fulls.length; j++) {
      const at = j
      const promise = batch.then((values) => values[at])
      promise.catch(noop)
      flights[j]!.promise = promise
      core.inflight.set(fulls[j]!, flights[j]!)
    }
    return batch
  }

  /**
   * @internal A synchronous reader of this namespace's first tier, for hit
   * paths that must not return a promise (`memoize`): given a key, the fresh
   * envelope (counting a hit), or `undefined` (counting nothing). `undefined`
   * when the first tier is not in memory. Everything it needs is captured once,
   * so a call is a map lookup and two comparisons.
   * @param touchEvery - update the first tier's recency on one hit in this many (1: every hit)
   */
  syncReader(touchEvery = 1): ((key: string) => Envelope | undefined) | undefined {
    const core = this.#core
    const l1 = core.stack.sync
    if (l1 === undefined) return undefined
    const { clock, emitter } = core
    const counters = this.#counters
    const prefix = this.#prefix
    const name = this.#name
    const INF = Number.POSITIVE_INFINITY
    // Sampled recency: with `touchEvery` n > 1, one hit in n updates the store's
    // recency (a hot entry is still touched often); the others only look up.
    const peek = touchEvery > 1 ? (l1 as { peek?: (key: string) => Envelope | undefined }).peek?.bind(l1) : undefined
    let n = 0
    return function readSync(key: string): Envelope | undefined {
      const full = prefix === '' ? key : prefix + key
      const env = peek !== undefined && ++n % touchEvery !== 0 ? peek(full) : l1.get(full)
      if (env === undefined || (env.freshUntil !== INF && env.freshUntil <= clock.now())) return undefined
      if (env.tags !== undefined && !tagsCurrent(env, core.versions)) {
        // The local copy of shared versions may only be past its window: refresh it
        // in the background so the next reads hit, and answer this one as a miss.
        if (core.shared !== undefined) core.tagsCurrentNow(env).catch(noop)
        return undefined
      }
      counters.hits++
      if (emitter.listeners.hit !== undefined) emitter.emit('hit', { key, namespace: name, tier: 0 })
      return env
    }
  }

  /**
   * @internal `set`, except that the memory tier holds the value before this
   * returns (when the tag versions are at hand), so a synchronous caller's
   * next synchronous read finds it (`memoize` of a sync function).
   */
  setNow<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    const core = this.#core
    const l1 = core.stack.sync
    if (l1 !== undefined && !core.closed) {
      const tags = this.#tagNames(options?.tags)
      const versions = tags === undefined ? undefined : core.versionsFor(tags)
      if (versions === undefined || Array.isArray(versions)) {
        const ttl = options?.ttl === undefined ? core.opts.ttl : parseDuration(options.ttl, 'ttl')
        const grace = options?.grace === undefined ? core.opts.grace : parseDuration(options.grace, 'grace')
        const env = this.#envelope(value, core.clock.now(), ttl, grace, tags, versions, 0)
        core.discard(this.#full(key))
        l1.set(this.#full(key), env, env.staleUntil)
      }
    }
    return this.set(key, value, options)
  }

  /** @internal Whether a tier offers cross-process locks ({@link Cache.tryLock} can take one). */
  get canLock(): boolean {
    return this.#core.lockTier !== undefined
  }

  /**
   * @internal The cross-process lock of `key` for callers that coalesce work
   * outside `getOrSet` (the proxy's misses): taken for at most `ttl` ms.
   * Resolves a release function (which never rejects), `'held'` when another
   * process holds the lock, or `'none'` when no tier offers locks or the lock
   * tier failed (counted in `tierErrors`, even in strict mode never thrown: a
   * lock is a courtesy, and its caller goes on without one).
   */
  async tryLock(key: string, ttl: number): Promise<(() => Promise<void>) | 'held' | 'none'> {
    const core = this.#core
    const tier = core.lockTier
    if (tier === undefined || core.closed) return 'none'
    let full: string
    try {
      full = this.#full(key)
    } catch {
      return 'none'
    }
    const failed = (operation: string, error: unknown) => {
      try {
        core.stack.fail(tier, operation, full, error)
      } catch {}
    }
    let release: (() => Promise<void>) | undefined
    try {
      release = await tier.lock!(full, ttl)
    } catch (error) {
      failed('lock', error)
      return 'none'
    }
    if (release === undefined) return 'held'
    const unlock = release
    return () => unlock().catch((error: unknown) => failed('unlock', error))
  }

  /** @internal Resolves when the bus says `key` changed in another process (or here), or after `ms`. */
  changed(key: string, ms: number): Promise<void> {
    return this.#notice(this.#full(key), ms)
  }

  /**
   * Stores `value` under `key`. A load of the same key in flight is overtaken: its value will not be stored.
   * @throws CacheError `ERR_CACHE_KEY`, `ERR_CACHE_INVALID_TTL`, or `ERR_CACHE_SERIALIZE` when a byte tier cannot store the value
   */
  async set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    const full = this.#full(key)
    const core = this.#core
    if (core.closed) throw this.#closedError()
    const ttl = options?.ttl === undefined ? core.opts.ttl : parseDuration(options.ttl, 'ttl')
    const grace = options?.grace === undefined ? core.opts.grace : parseDuration(options.grace, 'grace')
    const tags = this.#tagNames(options?.tags)
    // This write overtakes loads in flight now; a later write or delete overtakes it
    // while it waits for tag versions (calls land in call order).
    core.discard(full)
    const deadline = deadlineOf(core.budget)
    let versions = tags === undefined ? undefined : core.versionsForSet(tags)
    if (versions !== undefined && !Array.isArray(versions)) {
      const watch = core.watchWrites(full)
      try {
        versions = await versions
      } finally {
        core.unwatch(full, watch, core.writers)
      }
      if (watch.discard) return
    }
    const env = this.#envelope(value, core.clock.now(), ttl, grace, tags, versions, 0)
    const writing = async () => {
      await this.#write(key, full, env)
      if (core.bus !== undefined) await core.publish({ keys: [full] })
    }
    // Within the call's budget: past it the write and its announcement go on in the
    // background (memory has the value already; a tier that missed it is repaired later).
    await withinBudget(writing(), deadline, undefined, core.opts.strict, `writing "${key}"`)
  }

  async #write(key: string, full: string, env: Envelope): Promise<void> {
    await this.#core.stack.write(full, env)
    this.#wrote(key)
  }

  /** Counts a write of `key` and tells `set` listeners. */
  #wrote(key: string): void {
    this.#counters.sets++
    if (this.#core.emitter.listeners.set !== undefined) this.#core.emitter.emit('set', { key, namespace: this.#name })
  }

  /** Whether a fresh value is stored under `key`. Counts neither a hit nor a miss. */
  async has(key: string): Promise<boolean> {
    const full = this.#full(key)
    const core = this.#core
    const now = core.clock.now()
    const watch = core.watch(full)
    try {
      const { fresh } = await core.stack.read(full, 0, now, (env, current) => this.#usable(env, now, current), watch)
      return fresh !== undefined
    } finally {
      core.unwatch(full, watch)
    }
  }

  /**
   * Deletes `key` from every tier; resolves whether a tier had it (`false` when the
   * cache's `budget` ran out before the tiers answered: the delete goes on).
   */
  async delete(key: string): Promise<boolean> {
    const full = this.#full(key)
    const core = this.#core
    core.discard(full)
    const deleting = async () => {
      const had = await core.stack.delete([full])
      if (core.bus !== undefined) await core.publish({ keys: [full] })
      return had
    }
    // Within the call's budget, as for set: past it the delete goes on in the background
    // (memory has dropped the key already) and `false` is answered, the tiers not having said.
    const had = await withinBudget(deleting(), deadlineOf(core.budget), false, core.opts.strict, `deleting "${key}"`)
    this.#counters.deletes++
    if (this.#core.emitter.listeners.delete !== undefined)
      this.#core.emitter.emit('delete', { key, namespace: this.#name })
    return had
  }

  /** The fresh values under `keys`, in order (`undefined` for misses). Batched per tier. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    if (!Array.isArray(keys)) throw invalidOption('keys', 'an array of keys', keys)
    const fulls = keys.map((k) => this.#full(k))
    const core = this.#core
    const now = core.clock.now()
    const readers = fulls.map((full) => core.watch(full))
    try {
      const found = await core.stack.readMany(fulls, 0, now, (env, current) => this.#usable(env, now, current))
      const out = new Array<T | undefined>(keys.length)
      const writeBack: Promise<void>[] = []
      for (let i = 0; i < keys.length; i++) {
        const f = found[i]
        if (f !== undefined) {
          out[i] = f.env.value as T
          this.#hit(keys[i]!, f.tier)
          // A key written or deleted during the read keeps what that write left.
          if (f.tier > 0 && !readers[i]!.discard) writeBack.push(core.stack.write(fulls[i]!, f.env, f.tier))
        } else {
          this.#miss(keys[i]!)
        }
      }
      await Promise.all(writeBack)
      return out
    } finally {
      for (let i = 0; i < fulls.length; i++) core.unwatch(fulls[i]!, readers[i]!)
    }
  }

  /**
   * Stores several values with the same options, batched per tier.
   * @param entries - `[key, value]` pairs, or a Map
   */
  async setMany<T>(entries: Iterable<readonly [string, T]>, options?: SetOptions): Promise<void> {
    const core = this.#core
    if (core.closed) throw this.#closedError()
    if (entries === null || typeof (entries as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
      throw invalidOption('entries', 'an iterable of [key, value] pairs (an array or a Map)', entries)
    }
    const ttl = options?.ttl === undefined ? core.opts.ttl : parseDuration(options.ttl, 'ttl')
    const grace = options?.grace === undefined ? core.opts.grace : parseDuration(options.grace, 'grace')
    const tags = this.#tagNames(options?.tags)
    const pairs: [string, T][] = []
    for (const entry of entries) {
      if (!Array.isArray(entry)) throw invalidOption('entries', 'an iterable of [key, value] pairs', entry)
      const full = this.#full(entry[0])
      // Overtakes loads in flight now (as `set`); a later write or delete overtakes this one.
      core.discard(full)
      pairs.push([full, entry[1] as T])
    }
    let versions = tags === undefined ? undefined : core.versionsForSet(tags)
    let watches: Reader[] | undefined
    if (versions !== undefined && !Array.isArray(versions)) {
      watches = pairs.map(([full]) => core.watchWrites(full))
      try {
        versions = await versions
      } finally {
        for (let i = 0; i < pairs.length; i++) core.unwatch(pairs[i]![0], watches[i]!, core.writers)
      }
    }
    const now = core.clock.now()
    const list: { key: string; env: Envelope }[] = []
    for (let i = 0; i < pairs.length; i++) {
      if (watches !== undefined && watches[i]!.discard) continue
      list.push({ key: pairs[i]![0], env: this.#envelope(pairs[i]![1], now, ttl, grace, tags, versions, 0) })
    }
    await core.stack.writeMany(list)
    if (core.bus !== undefined) await core.publish({ keys: list.map((e) => e.key) })
    this.#counters.sets += list.length
  }

  /** Deletes several keys from every tier, batched per tier. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    if (!Array.isArray(keys)) throw invalidOption('keys', 'an array of keys', keys)
    const fulls = keys.map((k) => this.#full(k))
    for (const full of fulls) this.#core.discard(full)
    if (fulls.length > 0) await this.#core.stack.delete(fulls)
    if (this.#core.bus !== undefined && fulls.length > 0) await this.#core.publish({ keys: fulls })
    this.#counters.deletes += fulls.length
  }

  /**
   * Gives the value under `key` a new fresh time from now, without reloading it.
   * Resolves `false` when there is no value, or it was invalidated or is past its grace.
   *
   * A set or delete of `key` that lands while the touch runs wins, in this
   * process and, where a tier offers `compareAndSet` (Redis, SQLite, Memcached), in every
   * other process too: the entry is read from the lowest such tier and
   * rewritten only if it is still the one read, so a touch never brings back a
   * value another process deleted (a logout) or replaces the value it wrote;
   * the touch then resolves `false`. It also resolves `false`, changing
   * nothing, when that tier cannot be reached (rejects, when strict).
   * @see docs/tiers.md, "Touch across processes"
   */
  async touch(key: string, options?: TouchOptions): Promise<boolean> {
    const full = this.#full(key)
    const core = this.#core
    const ttl = options?.ttl === undefined ? core.opts.ttl : parseDuration(options.ttl, 'ttl')
    const grace = options?.grace === undefined ? core.opts.grace : parseDuration(options.grace, 'grace')
    const now = core.clock.now()
    // A set or delete landing while the entry is read wins: the touch then rewrites nothing.
    const watch = core.watch(full)
    try {
      if (core.stack.casTier >= 0) {
        // `current`: the shared versions of the entry's tags, read with it (as any
        // read from a shared tier checks them); undefined where versions are local only.
        const touched = await core.stack.compareAndSet(
          full,
          now,
          (env, current) =>
            this.#tagsCurrent(env, current)
              ? { ...env, freshUntil: now + ttl, staleUntil: now + ttl + grace }
              : undefined,
          watch,
        )
        if (touched) this.#wrote(key)
        return touched
      }
      const { fresh, stale } = await core.stack.read(
        full,
        0,
        now,
        (env, current) => this.#usable(env, now, current),
        watch,
      )
      const found = fresh ?? stale
      if (found === undefined || (found.env.tags !== undefined && !(await core.tagsCurrentNow(found.env)))) return false
      if (watch.discard) return false
      const env: Envelope = { ...found.env, freshUntil: now + ttl, staleUntil: now + ttl + grace }
      await this.#write(key, full, env)
      return true
    } finally {
      core.unwatch(full, watch)
    }
  }

  /**
   * A view of this cache whose keys are prefixed with `name:`. Its `clear()`
   * clears only its keys (and its sub-namespaces'); its stats are kept apart.
   * Tags stay global: `invalidateTags` on any view reaches every namespace.
   *
   * With a `source`, the namespace is read-through (and, with `save`,
   * write-through): see {@link ReadThrough}.
   * @param name - a non-empty string
   * @param source - optional: `load` / `loadMany` to read through, `save` / `remove` to write through
   * @example
   * ```ts
   * const users = cache.namespace('users', {
   *   load: (id: number) => db.users.find(id),
   *   loadMany: (ids: number[]) => db.users.findMany(ids),
   *   save: (id: number, user: User) => db.users.update(id, user),
   *   ttl: '10m',
   * })
   * const user = await users.get(42)           // loads on a miss
   * await users.write(42, { ...user, name: 'Ada' }) // database first, then the cache
   * ```
   */
  namespace(name: string): Cache
  namespace<V, K extends string | number = string>(name: string, source: ReadThroughSource<V, K>): ReadThrough<V, K>
  namespace<V, K extends string | number = string>(
    name: string,
    source?: ReadThroughSource<V, K>,
  ): Cache | ReadThrough<V, K> {
    if (typeof name !== 'string' || name.length === 0) throw invalidOption('namespace', 'a non-empty string', name)
    if (source !== undefined) return new ReadThrough<V, K>(this.namespace(name), source)
    let child = this.#children.get(name)
    if (child === undefined) {
      const prefix = `${this.#prefix}${name}:`
      const fullName = this.#name === '' ? name : `${this.#name}:${name}`
      child = new Cache(this.#core, prefix, fullName, [...(this.#nsTags ?? []), namespaceTag(prefix)])
      this.#children.set(name, child)
    }
    return child
  }

  /**
   * Invalidates every entry tagged with any of `tags`, in every namespace, in O(1)
   * per tag: entries are not scanned, each records its tags' versions and is
   * stale once a version moves on. Invalidated entries are never served fresh
   * again; they remain a fallback within grace if a reload fails.
   */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    checkTags(tags)
    if (tags.length === 0) return
    await this.#core.versions.bump(tags)
    if (this.#core.bus !== undefined) await this.#core.publish({ tags: [...tags] })
    if (this.#core.emitter.listeners.invalidate !== undefined) this.#core.emitter.emit('invalidate', { tags })
    if (this.#core.opts.purge.length > 0) await purgeAll(this.#core.opts.purge, tags)
  }

  /**
   * Removes every entry of this namespace (or, on the root cache, every entry) from every tier.
   * @throws CacheError `ERR_CACHE_INVALID_OPTION` when a tier cannot clear as configured (Memcached without
   * `flushOnClear`), strict or not: the other tiers are cleared, and the caller is not told a clear happened that did not
   */
  async clear(): Promise<void> {
    const core = this.#core
    if (this.#nsTags !== undefined) await core.versions.bump([this.#nsTags[this.#nsTags.length - 1]!])
    core.discard(undefined, this.#prefix)
    let failure: unknown
    try {
      await core.stack.clear(this.#prefix)
    } catch (error) {
      failure = error
    }
    // Other processes drop their local copies even when a shared tier failed to clear.
    if (core.bus !== undefined) await core.publish({ clears: [this.#prefix] })
    if (failure !== undefined) throw failure
    if (core.emitter.listeners.clear !== undefined) core.emitter.emit('clear', { namespace: this.#name })
  }

  /**
   * Counters for the whole cache and per namespace, with hit ratios.
   * Totals always cover every namespace, whichever view is asked.
   */
  stats(): CacheStats {
    const total = newCounters()
    // No prototype: a namespace named `__proto__` or `constructor` is counted like any other.
    const namespaces = Object.create(null) as CacheStats['namespaces']
    for (const { name, counters } of this.#core.counters.values()) {
      addCounters(total, counters)
      namespaces[name] = snapshot(counters)
    }
    const tierHealth: CacheStats['tierHealth'] = {}
    for (const tier of this.#core.stack.tiers) if (tier.health !== undefined) tierHealth[tier.name] = tier.health()
    return {
      ...snapshot(total),
      namespaces,
      tierErrors: { ...this.#core.stack.errors },
      tierHealth,
      inflight: this.#core.inflight.size,
      ...(this.#core.bus === undefined ? {} : { bus: this.#core.bus.stats() }),
      ...(this.#core.shared === undefined ? {} : { versions: this.#core.shared.health }),
    }
  }

  /** The tiers, fastest first (shared by every namespace). */
  get tiers(): readonly Store[] {
    return this.#core.stack.tiers
  }

  /** Listens to an event (shared by every namespace; payloads name the namespace). */
  on<E extends CacheEventName>(event: E, listener: CacheListener<E>): this {
    if (!EVENT_NAMES.has(event)) throw invalidOption('event', `one of ${[...EVENT_NAMES].join(', ')}`, event)
    if (typeof listener !== 'function') throw invalidOption('listener', 'a function', listener)
    this.#core.emitter.on(event, listener)
    return this
  }

  /** Stops listening. */
  off<E extends CacheEventName>(event: E, listener: CacheListener<E>): this {
    this.#core.emitter.off(event, listener)
    return this
  }

  /** Closes every tier (connections, files, timers). Later writes reject with `ERR_CACHE_CLOSED`. */
  async close(): Promise<void> {
    if (this.#core.closed) return
    this.#core.closed = true
    this.#core.discard(undefined)
    this.#core.shared?.close()
    await this.#core.bus?.close()
    await this.#core.stack.close()
  }

  #usable(env: Envelope, now: number, current?: readonly number[]): boolean {
    return env.freshUntil > now && this.#tagsCurrent(env, current)
  }

  /** Whether no tag of `env` was invalidated: against `current` (shared versions read with it), else the local ones. */
  #tagsCurrent(env: Envelope, current: readonly number[] | undefined): boolean {
    return (
      env.tags === undefined ||
      (current !== undefined ? sameVersions(env.tagVersions, current) : tagsCurrent(env, this.#core.versions))
    )
  }

  /** Whether an L1 entry failed only because its local versions are past their window (checked without awaiting). */
  #mayRevalidate(env: Envelope | undefined, now: number): boolean {
    const shared = this.#core.shared
    return (
      env !== undefined &&
      env.tags !== undefined &&
      shared !== undefined &&
      env.freshUntil > now &&
      shared.anyExpired(env.tags)
    )
  }

  /** Re-reads the shared versions of an L1 entry's tags; true when it is current. */
  async #revalidate(env: Envelope): Promise<boolean> {
    return sameVersions(env.tagVersions, await this.#core.shared!.exact(env.tags!))
  }

  #hit(key: string, tier: number): void {
    this.#counters.hits++
    if (tier > 0) this.#counters.lowerTierHits[tier] = (this.#counters.lowerTierHits[tier] ?? 0) + 1
    const emitter = this.#core.emitter
    if (emitter.listeners.hit !== undefined) emitter.emit('hit', { key, namespace: this.#name, tier })
  }

  #miss(key: string): void {
    this.#counters.misses++
    const emitter = this.#core.emitter
    if (emitter.listeners.miss !== undefined) emitter.emit('miss', { key, namespace: this.#name })
  }

  #envelope(
    value: unknown,
    now: number,
    ttl: number,
    grace: number,
    tags: readonly string[] | undefined,
    versions: readonly number[] | undefined,
    loadTime: number,
  ): Envelope {
    const freshUntil = now + ttl
    return { value, createdAt: now, freshUntil, staleUntil: freshUntil + grace, tags, tagVersions: versions, loadTime }
  }

  /** The namespace versions plus the user's tags, or `undefined` when there are none. */
  #tagNames(tags: readonly string[] | undefined): readonly string[] | undefined {
    if (tags === undefined || tags.length === 0) return this.#nsTags
    checkTags(tags)
    return this.#nsTags === undefined ? tags : [...this.#nsTags, ...tags]
  }

  #full(key: string): string {
    if (typeof key !== 'string' || key.length === 0 || key.length > this.#core.opts.maxKeyLength)
      throw this.#keyError(key)
    return this.#prefix === '' ? key : this.#prefix + key
  }

  #keyError(key: unknown): CacheError {
    const max = this.#core.opts.maxKeyLength
    const why =
      typeof key !== 'string'
        ? `must be a string; got ${describe(key)}`
        : key.length === 0
          ? 'must not be empty'
          : `is ${key.length} characters long; the maximum is ${max} (raise maxKeyLength, or hash long keys)`
    return new CacheError('ERR_CACHE_KEY', `Cache key ${why}.`)
  }

  #closedError(): CacheError {
    return new CacheError('ERR_CACHE_CLOSED', 'This cache was closed: create a new one.')
  }
}

/**
 * Creates a cache.
 *
 * @param options - see {@link CacheOptions}; with none, an in-process memory tier of 10,000 entries
 * @param defaultTiers - used when `options.tiers` is not given
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` / `ERR_CACHE_INVALID_TTL` naming the bad option
 * @internal the public `createCache` supplies the default tiers
 */
export function createCacheWith(options: CacheOptions, defaultTiers: () => Store[]): Cache {
  const opts = resolveOptions(options)
  const core = new CacheCore(options.tiers ?? defaultTiers(), options, opts)
  return new Cache(core, '', '', undefined)
}
