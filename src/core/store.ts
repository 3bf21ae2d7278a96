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
  /** Stores `value` under `key` until `expiresAt` (absolute ms; `Infinity` for never). */
  set(key: string, value: V, expiresAt: number): MaybePromise<void>
  /** Stores several entries at once. */
  setMany?(entries: readonly StoreWrite<V>[]): MaybePromise<void>
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
   * Takes an exclusive lock named `key` for at most `ttl` ms, across every
   * process using the store (for `getOrSet(…, { lock: true })`). Resolves a
   * function that releases it, or `undefined` when another holder has it.
   * Only shared stores implement it.
   */
  lock?(key: string, ttl: number): Promise<(() => Promise<void>) | undefined>
}

/** One write in {@link Store.setMany}. */
export interface StoreWrite<V> {
  key: string
  value: V
  expiresAt: number
}

/** A store that keeps envelopes in process memory and answers synchronously. */
export interface SyncStore extends Store<Envelope> {
  readonly binary: false
  get(key: string): Envelope | undefined
  set(key: string, value: Envelope, expiresAt: number): void
  delete(key: string): boolean
  clear(prefix?: string): void
}
