/**
 * The one interface every tier implements. A store keeps entries under string
 * keys until an absolute expiry; it knows nothing of TTL policy, tags or HTTP.
 * @module
 */
import type { Clock } from './clock.js'
import type { Envelope } from './envelope.js'

/** A value, or a promise of it. Sync stores (memory) return values directly. */
export type MaybePromise<T> = T | Promise<T>

/** Why a store dropped an entry on its own. */
export type EvictionReason = 'capacity' | 'expired' | 'too-large'

/** What the cache hands a store when the store joins it. */
export interface StoreContext {
  /** The cache's clock; stores compare expiry against it. */
  clock: Clock
  /** Call when the store drops an entry on its own (not on delete or clear). */
  onEvict(key: string, reason: EvictionReason): void
}

/** Size and count of what a store holds, where it can tell. */
export interface StoreSize {
  /** Entries held (may include expired entries not yet reclaimed). */
  entries: number
  /** Bytes held, as the store measures them. */
  bytes: number
  /** `bytes` is an estimate from a sample (a memory tier without `maxBytes` or `sizeOf`). */
  estimated?: boolean
}

/**
 * A tier. `binary: false` stores (memory) keep {@link Envelope} objects as they
 * are; `binary: true` stores keep the bytes the cache's serializer made.
 *
 * Contract: `get` never returns an entry after its `expiresAt`; a sync store
 * returns plain values (no promise), so the cache's hit path never awaits it.
 */
export interface Store<V = Envelope | Uint8Array> {
  /** A short name for stats and errors (`'memory'`, `'sqlite'`, `'redis'`). */
  readonly name: string
  /** Whether the store keeps bytes (the cache serializes envelopes for it). */
  readonly binary: boolean
  /** Called once when the store is attached to a cache. */
  init?(ctx: StoreContext): void
  /** The entry under `key`, or `undefined`. */
  get(key: string): MaybePromise<V | undefined>
  /** Several entries at once, in the order of `keys`. */
  getMany?(keys: readonly string[]): MaybePromise<(V | undefined)[]>
  /**
   * Stores `value` under `key` until `expiresAt` (absolute ms; `Infinity` for never).
   * `tags` are the version names the entry depends on; a store that offers
   * {@link Store.getWithVersions} keeps them with the entry, others ignore them.
   */
  set(key: string, value: V, expiresAt: number, tags?: readonly string[]): MaybePromise<void>
  /** Stores several entries at once. */
  setMany?(entries: readonly StoreWrite<V>[]): MaybePromise<void>
  /**
   * Compare-and-set: stores `value` under `key` until `expiresAt` (as {@link Store.set},
   * with its `tags`) only if the entry there is still `expected`, the very value
   * {@link Store.get} returned for it; resolves whether it did. A missing or
   * expired entry, or one that holds anything else, is left as it is (`false`).
   *
   * Contract: the comparison and the write are one atomic step for every
   * process and instance sharing the backend (a Lua script in Redis, one
   * `UPDATE … WHERE key = ? AND value = ?` in SQLite, gets + cas in Memcached).
   *
   * `cache.touch()` uses it on the lowest tier that offers it, so a touch never
   * writes an entry back after another process deleted or overwrote it (a
   * logout undone by a request touching the session). Tiers without it are
   * written with a plain `set`, as before; an in-process store needs none (the
   * cache orders its own process's writes).
   * @example
   * ```ts
   * const before = await store.get('k')
   * if (before !== undefined) await store.compareAndSet?.('k', before, next, Date.now() + 60_000)
   * ```
   */
  compareAndSet?(key: string, expected: V, value: V, expiresAt: number, tags?: readonly string[]): MaybePromise<boolean>
  /** Removes `key`; resolves whether it was there (where the store can tell). */
  delete(key: string): MaybePromise<boolean>
  /** Removes several keys at once. */
  deleteMany?(keys: readonly string[]): MaybePromise<void>
  /** Removes every key that starts with `prefix`, or everything when `prefix` is empty. */
  clear(prefix?: string): MaybePromise<void>
  /** Entries and bytes held. */
  size?(): MaybePromise<StoreSize>
  /** Releases connections, timers and files. */
  close?(): MaybePromise<void>
  /**
   * Version counters for tags and namespaces shared by every process that uses
   * the same backend, and kept across restarts. The cache uses those of the
   * lowest (last) tier that offers them; without any, versions live in process
   * memory and invalidation is seen by this process only.
   */
  readonly versions?: SharedVersions
  /**
   * Reads the entry under `key` and the current shared versions of the names
   * it was written with (the `tags` passed to {@link Store.set}), in one round
   * trip. Only meaningful on a store that offers {@link Store.versions}.
   *
   * Contract: `versions[i]` is the current version of `tags[i]` as given to the
   * `set` that wrote the entry (0 for a name never bumped), read atomically
   * with the value, so an invalidation is never missed between the two. A
   * Redis store does it with one Lua script: `GET` the value (and its stored
   * tag list) and `MGET` the tag counters. `versions` is empty when the entry
   * has no tags; `value` is `undefined` on a miss.
   */
  getWithVersions?(key: string): MaybePromise<VersionedEntry<V> | undefined>
  /**
   * When true, this store's errors (including timeouts and an open circuit)
   * propagate to the caller instead of being skipped (fail-open). Set by the
   * store's own `strict` option.
   */
  readonly strict?: boolean
  /**
   * Takes an exclusive lock named `key` for at most `ttl` ms, across every
   * process using the store (for `getOrSet(…, { lock: true })`). Resolves a
   * function that releases it, or `undefined` when another holder has it.
   * Only shared stores implement it.
   */
  lock?(key: string, ttl: number): Promise<(() => Promise<void>) | undefined>
  /** The store's health: circuit state and counters (see `guardStore`). */
  health?(): StoreHealth
  /**
   * For a store whose client connects in the background (Redis, Memcached):
   * while its first connection is being made, a promise that resolves once it is ready,
   * or rejects with a `CacheError` (naming the server) when the store gives up
   * on it; `undefined` once connected, and from then on. `guardStore` starts an
   * operation's timeout only when this resolves, so connecting is not counted
   * against the first operations. The store bounds the wait itself.
   */
  connecting?(): Promise<void> | undefined
  /**
   * The longest one operation of this store may take, in milliseconds, for a
   * store that bounds its calls (`guardStore` sets its `timeout`). The cache's
   * default `budget` is the largest of its tiers'.
   */
  readonly timeout?: number
}

/** What {@link Store.getWithVersions} returns for a hit. */
export interface VersionedEntry<V> {
  /** The stored value. */
  value: V
  /** The current version of each name the entry was written with, in the order given to `set`. */
  versions: number[]
}

/**
 * Shared version counters (tags, namespaces). `read` of a name never bumped is
 * 0; `bump` increments atomically (Redis `INCR`, an SQL `UPDATE … + 1`) so two
 * processes bumping at once both count.
 */
export interface SharedVersions {
  /** The current versions of `names`, in order (0 for a name never bumped). */
  read(names: readonly string[]): MaybePromise<number[]>
  /** Increments each name's version by one, atomically; resolves the new versions in order. */
  bump(names: readonly string[]): MaybePromise<number[]>
}

/** A store's circuit state and counters, as reported by {@link Store.health}. */
export interface StoreHealth {
  /** `'closed'`: calls go through; `'open'`: calls are skipped; `'half-open'`: one probe is let through. */
  circuit: 'closed' | 'open' | 'half-open'
  /** Operations that failed (errors and timeouts). */
  failures: number
  /** Operations that timed out (also counted in `failures`). */
  timeouts: number
  /** Operations skipped because the circuit was open. */
  skipped: number
  /** Times the circuit opened. */
  opened: number
}

/** One write in {@link Store.setMany}. */
export interface StoreWrite<V> {
  key: string
  value: V
  expiresAt: number
  /** The entry's version names, as for {@link Store.set}. */
  tags?: readonly string[]
}

/** A store that keeps envelopes in process memory and answers synchronously. */
export interface SyncStore extends Store<Envelope> {
  readonly binary: false
  get(key: string): Envelope | undefined
  set(key: string, value: Envelope, expiresAt: number): void
  delete(key: string): boolean
  clear(prefix?: string): void
}
