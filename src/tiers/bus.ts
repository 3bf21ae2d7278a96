/**
 * The invalidation bus: how one process tells the others which keys, tags and
 * namespaces changed, so that their in-process tiers (L1) drop what is now
 * stale. Messages carry names, never values; each transport stamps its
 * sender's id so that a process ignores its own messages.
 * @module
 */
import type { MaybePromise } from '../core/store.js'

/**
 * What changed, in one message (a batch: any of the three lists may be empty).
 * Keys and prefixes are full keys, namespace prefix included.
 */
export interface BusMessage {
  /** Keys written or deleted. */
  keys?: string[]
  /** Tags invalidated. */
  tags?: string[]
  /** Namespace prefixes cleared (`''`: the whole cache). */
  clears?: string[]
}

/** What a bus hands back to the cache that joined it. */
export interface BusHandlers {
  /** A message from another process. */
  message(message: BusMessage): void
  /**
   * The bus lost its connection and has it back: messages may have been
   * missed, so the cache drops its local tiers.
   */
  resync(): void
}

/** Counters a bus keeps, shown in `cache.stats().bus`. */
export interface BusStats {
  /** Messages sent (after batching). */
  published: number
  /** Messages received from other processes. */
  received: number
  /** Reconnections after which the local tiers were dropped. */
  resyncs: number
  /** Sends or connections that failed. */
  errors: number
  /** Changes waiting to be sent again after a failed send. */
  pending: number
}

/**
 * A transport between processes. `cachestack/redis` provides {@link redisBus}
 * over Redis pub/sub; anything with publish/subscribe can implement it.
 */
export interface Bus {
  /** Called once by the cache: from now on, deliver other processes' messages to `handlers`. */
  join(handlers: BusHandlers): MaybePromise<void>
  /**
   * Sends a change to every other process. Resolves once it is sent (or kept
   * to be re-sent after a failure: a bus never rejects, it counts).
   */
  publish(message: BusMessage): Promise<void>
  /**
   * Resolves once every message published (by any process) before the call
   * has been delivered to this process: read-your-writes across processes,
   * and the "one bus delivery" that tests wait for.
   */
  flush?(): Promise<void>
  /** Counters for stats. */
  stats(): BusStats
  /** Closes the bus's connections. */
  close(): MaybePromise<void>
}
