/**
 * Where a rate limiter keeps its counters. A store applies one call
 * atomically: the memory store because JavaScript runs one call at a time,
 * the Redis store because it runs the whole decision as one Lua script.
 * @module
 */
import type { MaybePromise } from '../core/store.js'
import type { Algorithm, Decision } from './algorithms.js'

/** One call to a {@link RateLimitStore}: the policy and the units to take. */
export interface RateLimitCall {
  /** The full key (prefix included). */
  key: string
  algorithm: Algorithm
  /** Units per window. */
  limit: number
  /** Window length in milliseconds. */
  window: number
  /** Units to take; 0 only looks. */
  cost: number
  /** The limiter's time in ms, or `undefined` to let the store use its own clock (Redis: the server's `TIME`). */
  now: number | undefined
}

/** Keeps counters for {@link rateLimit}; `consume` must be atomic per key. */
export interface RateLimitStore {
  /** A short name for errors (`'memory'`, `'redis'`). */
  readonly name: string
  /** Whether calls leave the process (they then get the limiter's timeout and fail-open policy). */
  readonly remote: boolean
  /** Applies one call atomically and returns the decision. */
  consume(call: RateLimitCall): MaybePromise<Decision>
  /** Forgets a key's counters. */
  reset(key: string): MaybePromise<void>
  /** Releases timers (not the Redis client, which belongs to the caller). */
  close?(): MaybePromise<void>
}
