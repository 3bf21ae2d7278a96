/**
 * The cache's options, per cache and per call, and their validation. Options
 * are read once, in the factory; the error names the option and what to change.
 * @module
 */

import type { Bus } from '../tiers/bus.js'
import type { Clock } from './clock.js'
import { type Duration, parseDuration } from './duration.js'
import { CacheError, describe, invalidOption } from './errors.js'
import type { Serializer } from './serializer.js'
import type { Store } from './store.js'

/**
 * Early refresh: reload a hot entry in the background before it expires, so
 * readers never wait for a reload.
 * - `true` or `{ beta }`: probabilistic (XFetch, Vattani et al.): the closer to
 *   expiry and the slower the last load, the likelier a read triggers a refresh.
 *   `beta` > 1 refreshes earlier; default 1.
 * - `{ ratio }`: refresh once a read comes after `ratio` (0–1) of the TTL has passed.
 * - `false`: never.
 */
export type EarlyRefresh = boolean | { beta?: number } | { ratio: number }

/** Options of {@link createCache}. */
export interface CacheOptions {
  /**
   * The tiers, fastest first. Reads go down the list; writes and deletes go to every tier.
   * @defaultValue `[memoryStore()]` (10,000 entries)
   */
  tiers?: Store[]
  /**
   * How long a value stays fresh. Per call options override it.
   * @defaultValue `Infinity`: fresh until evicted, deleted or invalidated
   */
  ttl?: Duration
  /**
   * How long after its TTL a value may still be served when the loader fails or
   * is slower than `timeout`. Tiers keep entries for `ttl + grace`.
   * @defaultValue 0 (no grace)
   */
  grace?: Duration
  /**
   * A soft loader timeout: when a stale value (within grace) exists and the
   * loader takes longer, the stale value is served and the loader finishes in
   * the background, storing its value. Without a stale value, callers wait.
   * @defaultValue none
   */
  timeout?: Duration
  /**
   * The longest one call (`getOrSet`, `set`, `delete`) waits on its tiers, all
   * their operations together: reading the entry, writing it after a load,
   * announcing the change on the bus, releasing a lock. A
   * tier that is frozen or swallowing requests costs a call at most this long,
   * not one timeout per operation: past it, a read counts as a miss and a
   * write goes on in the background (its failure still counted). The loader's
   * own time is not counted. `false` for no budget (each operation keeps only
   * its tier's `timeout`).
   *
   * Opt-in: with a budget, a `set` that runs out of it resolves while its
   * write is still on its way, so another process may not see the value yet
   * (most visible on the first call, while a client connects). Without one, a
   * call waits for each of its tier operations up to that tier's `timeout`.
   * @defaultValue none (each operation bounded by its tier's `timeout` only)
   */
  budget?: Duration | false
  /** Refresh hot entries before they expire. @defaultValue false */
  earlyRefresh?: EarlyRefresh
  /** The clock every TTL decision reads. @defaultValue `Date.now` */
  clock?: Clock
  /** Serializes envelopes for tiers that store bytes. @defaultValue {@link defaultSerializer} */
  serializer?: Serializer
  /** The longest key accepted, in characters (namespace prefix excluded). @defaultValue 1024 */
  maxKeyLength?: number
  /**
   * When true, a failing tier makes the operation reject instead of being skipped.
   * @defaultValue false (fail-open: a tier error is counted, emitted and skipped)
   */
  strict?: boolean
  /**
   * When a tier offers shared tag versions (SQLite, Redis), how long a memory
   * (L1) hit may trust this process's copy of a tag's or namespace's version
   * before re-reading it from that tier. An invalidation by another process
   * reaches this process's L1 within this window (an invalidation by this
   * process is seen at once; entries read from the shared tier are always
   * checked exactly). Lower is fresher; each re-read is one batched round
   * trip per window per tag. The bus keeps L1 fresh without waiting.
   * @defaultValue `'1s'`
   */
  versionsMaxAge?: Duration
  /**
   * Only without `tiers`: the directory of the default SQLite file, or `false`
   * for a memory-only default. `CACHESTACK_DIR` sets it from the environment.
   * @defaultValue the OS cache directory (`~/.cache/cachestack` on Linux)
   */
  dir?: string | false
  /**
   * An invalidation bus (`redisBus()` from `cachestack/redis`, `sqliteBus()`
   * from `cachestack/sqlite`): every `set`, `delete`, `invalidateTags` and
   * `clear` here drops the affected keys from the in-process tiers of every
   * other process on the same bus, and theirs from ours.
   * @defaultValue without `tiers` (the embedded default), a `sqliteBus` on the
   * default file; otherwise none: in-process tiers of other processes learn of
   * key changes only by TTL (tags and namespaces within `versionsMaxAge`)
   */
  bus?: Bus
  /**
   * Called with the tags of every `invalidateTags` on this cache, once its
   * tiers and bus have them: how one invalidation reaches the layers outside
   * cachestack's tiers in the same call, such as the reverse proxy
   * (`proxyPurge`) and the CDN (`fastlyPurge`, `cloudflarePurge`,
   * `akamaiPurge`, `cloudfrontPurge` from `cachestack/http`). Not called for
   * invalidations another process made (that process calls its own). Every
   * hook runs even when one fails; then `invalidateTags` rejects with
   * `ERR_CACHE_PURGE` (the invalidation in the tiers stands: retry the call,
   * purges are idempotent). @defaultValue none
   * @example
   * ```ts
   * createCache({ tiers, purge: [proxyPurge({ url, token }), fastlyPurge({ serviceId, token, soft: true })] })
   * ```
   */
  purge?: PurgeHook | readonly PurgeHook[]
}

/** Tells a layer outside the cache's tiers (a proxy, a CDN) to drop what is tagged with any of `tags`. */
export type PurgeHook = (tags: readonly string[]) => Promise<void>

/** Options of {@link Cache.set} and {@link Cache.setMany}. */
export interface SetOptions {
  /** How long the value stays fresh. @defaultValue the cache's `ttl` */
  ttl?: Duration
  /** How long after `ttl` it may be served stale. @defaultValue the cache's `grace` */
  grace?: Duration
  /** Tags to invalidate it by, with {@link Cache.invalidateTags}. Tags are global across namespaces. */
  tags?: readonly string[]
}

/** Options of {@link Cache.getOrSet}. */
export interface GetOrSetOptions<T> extends SetOptions {
  /** Soft loader timeout. @defaultValue the cache's `timeout` */
  timeout?: Duration
  /** Early refresh for this call. @defaultValue the cache's `earlyRefresh` */
  earlyRefresh?: EarlyRefresh
  /** Decides whether a loaded value is stored (for example: not `null`). @defaultValue store every value */
  shouldCache?: (value: T) => boolean
  /** Store only values whose load took at least this long. @defaultValue 0 */
  minLoadTime?: Duration
  /**
   * Stampede protection across processes: on a miss, take a short lock in the
   * shared tier (the lowest tier that offers locks, such as Redis) so that one
   * process runs the loader while the others wait for its value. `true` waits
   * up to 5 s; a duration sets the wait (and the lock's lifetime). A process
   * that waits longer runs the loader itself; without a lock-capable tier
   * the option does nothing.
   * @defaultValue false: one loader per key per process
   */
  lock?: boolean | Duration
}

/** Options of {@link Cache.touch}. */
export interface TouchOptions {
  /** The new fresh time, from now. @defaultValue the cache's `ttl` */
  ttl?: Duration
  /** The new grace. @defaultValue the cache's `grace` */
  grace?: Duration
}

/** What a loader receives. */
export interface LoaderContext<T> {
  /** The key being loaded (without the namespace prefix). */
  readonly key: string
  /** The stale value, when one exists (within grace). */
  readonly staleValue: T | undefined
  /** Overrides the TTL for the value being loaded (for example from an upstream `max-age`). */
  setTtl(ttl: Duration): void
  /** Adds tags to the value being loaded. */
  setTags(tags: readonly string[]): void
}

/** A function that produces the value for a key on a miss. */
export type Loader<T> = (ctx: LoaderContext<T>) => T | Promise<T>

/** @internal early refresh, normalized: mode 0 off, 1 XFetch, 2 ratio. */
export interface RefreshPolicy {
  mode: 0 | 1 | 2
  beta: number
  ratio: number
}

/** @internal */
export const NO_REFRESH: RefreshPolicy = { mode: 0, beta: 1, ratio: 1 }
const XFETCH: RefreshPolicy = { mode: 1, beta: 1, ratio: 1 }

/** @internal */
export function parseEarlyRefresh(input: EarlyRefresh | undefined, option = 'earlyRefresh'): RefreshPolicy {
  if (input === undefined || input === false) return NO_REFRESH
  if (input === true) return XFETCH
  if (typeof input === 'object' && input !== null) {
    if ('ratio' in input) {
      const ratio = input.ratio
      if (typeof ratio === 'number' && ratio > 0 && ratio < 1) return { mode: 2, beta: 1, ratio }
      throw invalidOption(`${option}.ratio`, 'a number between 0 and 1 (exclusive)', ratio)
    }
    const beta = input.beta ?? 1
    if (typeof beta === 'number' && beta > 0 && Number.isFinite(beta)) return { mode: 1, beta, ratio: 1 }
    throw invalidOption(`${option}.beta`, 'a finite number > 0', beta)
  }
  throw invalidOption(option, 'true, false, { beta } or { ratio }', input)
}

const KNOWN = new Set([
  'tiers',
  'ttl',
  'grace',
  'timeout',
  'budget',
  'earlyRefresh',
  'clock',
  'serializer',
  'maxKeyLength',
  'strict',
  'versionsMaxAge',
  'dir',
  'bus',
  'purge',
])

/** @internal options validated and normalized */
export interface ResolvedOptions {
  ttl: number
  grace: number
  timeout: number | undefined
  /** `undefined`: from the tiers' timeouts. */
  budget: number | undefined
  refresh: RefreshPolicy
  maxKeyLength: number
  strict: boolean
  versionsMaxAge: number
  purge: readonly PurgeHook[]
}

/** @internal */
export function resolveOptions(options: CacheOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new CacheError(
        'ERR_CACHE_INVALID_OPTION',
        `Unknown option "${key}": the options are ${[...KNOWN].join(', ')}.`,
      )
    }
  }
  if (options.tiers !== undefined) {
    if (!Array.isArray(options.tiers) || options.tiers.length === 0) {
      throw invalidOption('tiers', 'a non-empty array of stores', options.tiers)
    }
    options.tiers.forEach((tier, i) => {
      if (
        tier === null ||
        typeof tier !== 'object' ||
        typeof tier.get !== 'function' ||
        typeof tier.set !== 'function' ||
        typeof tier.delete !== 'function' ||
        typeof tier.clear !== 'function'
      ) {
        throw invalidOption(`tiers[${i}]`, 'a store (an object with get, set, delete and clear)', tier)
      }
    })
  }
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
    throw invalidOption('clock', 'an object with a now() method returning milliseconds', options.clock)
  }
  const s = options.serializer
  if (s !== undefined && (typeof s?.serialize !== 'function' || typeof s?.deserialize !== 'function')) {
    throw invalidOption('serializer', 'an object with serialize(value) and deserialize(bytes)', s)
  }
  const maxKeyLength = options.maxKeyLength ?? 1024
  if (!Number.isInteger(maxKeyLength) || maxKeyLength < 1) {
    throw invalidOption('maxKeyLength', 'an integer ≥ 1', maxKeyLength)
  }
  if (options.strict !== undefined && typeof options.strict !== 'boolean') {
    throw invalidOption('strict', 'a boolean', options.strict)
  }
  const bus = options.bus
  if (bus !== undefined && (typeof bus?.publish !== 'function' || typeof bus?.join !== 'function')) {
    throw invalidOption('bus', 'a bus (for example redisBus({ url }) from cachestack/redis)', bus)
  }
  const purge = options.purge === undefined ? [] : Array.isArray(options.purge) ? options.purge : [options.purge]
  if (!purge.every((h) => typeof h === 'function')) {
    throw invalidOption('purge', 'a purge hook (a function of the tags) or an array of them', options.purge)
  }
  return {
    purge,
    ttl: options.ttl === undefined ? Number.POSITIVE_INFINITY : parseDuration(options.ttl, 'ttl'),
    grace: options.grace === undefined ? 0 : parseDuration(options.grace, 'grace'),
    timeout: options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout'),
    budget:
      options.budget === undefined
        ? undefined
        : options.budget === false
          ? Number.POSITIVE_INFINITY
          : parseDuration(options.budget, 'budget'),
    refresh: parseEarlyRefresh(options.earlyRefresh),
    maxKeyLength,
    strict: options.strict ?? false,
    versionsMaxAge:
      options.versionsMaxAge === undefined ? 1000 : parseDuration(options.versionsMaxAge, 'versionsMaxAge'),
  }
}

/** @internal validates a tag list */
export function checkTags(tags: unknown, option = 'tags'): readonly string[] {
  if (!Array.isArray(tags)) throw invalidOption(option, 'an array of non-empty strings', tags)
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0) {
      throw invalidOption(option, `an array of non-empty strings (found ${describe(tag)})`, tags)
    }
  }
  return tags
}
