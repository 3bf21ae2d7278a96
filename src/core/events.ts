/**
 * The cache's events. Listeners are kept per event in arrays, and the cache
 * checks for a listener before it builds a payload, so an event nobody
 * listens to costs one property read.
 * @module
 */
import type { EvictionReason } from './store.js'

/** Every event the cache emits, with its payload. `namespace` is `''` for the root cache. */
export interface CacheEvents {
  /** A fresh value was served. `tier` is the index of the tier that had it. */
  hit: { key: string; namespace: string; tier: number }
  /** No fresh value was found. */
  miss: { key: string; namespace: string }
  /** A stale value was served because the loader failed (`'error'`) or was slower than `timeout` (`'timeout'`). */
  stale: { key: string; namespace: string; reason: 'error' | 'timeout'; error?: unknown }
  /** A loader finished; `duration` in ms. */
  load: { key: string; namespace: string; duration: number }
  /** A loader threw or rejected; `duration` in ms until it did. */
  loadError: { key: string; namespace: string; error: unknown; duration: number }
  /** A value was written by `set`, `setMany`, `touch` or a load. */
  set: { key: string; namespace: string }
  /** A key was deleted. */
  delete: { key: string; namespace: string }
  /** A tier dropped an entry on its own. `tier` is the tier's name. */
  evict: { key: string; reason: EvictionReason; tier: string }
  /** Tags were invalidated. */
  invalidate: { tags: readonly string[] }
  /** A namespace (or, with `''`, the whole cache) was cleared. */
  clear: { namespace: string }
  /**
   * A call to a tier below the synchronous first one (or any call that goes through
   * the fail-open wrapper) finished; `duration` in ms, measured with `performance.now()`
   * only while someone listens. `ok` is false when it failed.
   */
  tierOp: { tier: string; operation: string; duration: number; ok: boolean }
  /** A tier failed and was skipped (fail-open), or a value could not be stored. */
  error: { error: unknown; operation: string; tier?: string; key?: string }
}

/** The name of a cache event. */
export type CacheEventName = keyof CacheEvents

/** A listener for event `E`. */
export type CacheListener<E extends CacheEventName> = (payload: CacheEvents[E]) => void

/** @internal A minimal typed emitter; a listener that throws never breaks the cache. */
export class Emitter {
  /**
   * Every event's slot exists from the start (`undefined` until someone listens), so
   * every cache's listeners object has one shape: the hit path's `listeners.hit`
   * check stays monomorphic when a process holds caches with different listeners.
   */
  readonly listeners: { [E in CacheEventName]: CacheListener<E>[] | undefined } = {
    hit: undefined,
    miss: undefined,
    stale: undefined,
    load: undefined,
    loadError: undefined,
    set: undefined,
    delete: undefined,
    evict: undefined,
    invalidate: undefined,
    clear: undefined,
    tierOp: undefined,
    error: undefined,
  }

  on<E extends CacheEventName>(event: E, listener: CacheListener<E>): void {
    const list = (this.listeners[event] ?? []) as CacheListener<E>[]
    ;(this.listeners as Record<string, unknown>)[event] = [...list, listener]
  }

  off<E extends CacheEventName>(event: E, listener: CacheListener<E>): void {
    const list = this.listeners[event] as CacheListener<E>[] | undefined
    if (list === undefined) return
    const next = list.filter((l) => l !== listener)
    ;(this.listeners as Record<string, unknown>)[event] = next.length > 0 ? next : undefined
  }

  emit<E extends CacheEventName>(event: E, payload: CacheEvents[E]): void {
    const list = this.listeners[event] as CacheListener<E>[] | undefined
    if (list === undefined) return
    for (const listener of list) {
      try {
        listener(payload)
      } catch {
        // A listener's bug must not break a cache read; listeners own their errors.
      }
    }
  }
}
