/**
 * Counters in process memory: exact and atomic within one process (each call
 * runs to completion), shared with no other process.
 * @module
 */
import { invalidOption } from '../core/errors.js'
import { type Decision, decide, type State } from './algorithms.js'
import type { RateLimitCall, RateLimitStore } from './rate-limit-store.js'

/** Keys looked at, from the oldest, to free a slot in a full store. */
const SWEEP = 16

/** Options of {@link memoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /**
   * The most keys tracked. Past it, a new key takes the slot of an expired one
   * among the oldest few, else of the oldest key (a dropped key starts afresh,
   * so the bound errs towards admitting). Constant time per new key.
   * @defaultValue 100_000
   */
  maxKeys?: number
}

/**
 * Creates an in-process store for {@link rateLimit}: one limiter per process.
 * Use {@link redisRateLimitStore} when several processes must share a limit.
 * @param options - see {@link MemoryRateLimitStoreOptions}
 */
export function memoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw invalidOption('maxKeys', 'an integer ≥ 1', maxKeys)
  const states = new Map<string, State>()
  /** The state handed to a key not yet seen; kept (and replaced) only when the call writes it. */
  let spare: State = { a: 0, b: 0, c: 0, expiresAt: 0 }

  /**
   * Frees one slot, in constant time: a store at its bound is where a flood of
   * new keys lands (one per spoofed e-mail in `login:${email}`), so a sweep of
   * every key on each new one would hand that flood a CPU lever (100,000 keys:
   * milliseconds per request). Keys sit in insertion order, oldest first, so
   * the expired ones are mostly at the front: look at a few there, drop the
   * expired, and if none is, drop the oldest.
   */
  function makeRoom(now: number): void {
    let looked = 0
    for (const [key, state] of states) {
      if (state.expiresAt <= now) states.delete(key)
      if (++looked >= SWEEP || states.size < maxKeys) break
    }
    if (states.size >= maxKeys) {
      const oldest = states.keys().next()
      if (oldest.done !== true) states.delete(oldest.value)
    }
  }

  return {
    name: 'memory',
    remote: false,
    consume(call: RateLimitCall): Decision {
      const now = call.now ?? Date.now()
      let state = states.get(call.key)
      if (state !== undefined && state.expiresAt <= now) {
        states.delete(call.key)
        state = undefined
      }
      if (state !== undefined) return decide(call.algorithm, state, now, call.limit, call.window, call.cost)
      const fresh = spare
      const decision = decide(call.algorithm, fresh, now, call.limit, call.window, call.cost)
      if (fresh.expiresAt !== 0) {
        if (states.size >= maxKeys) makeRoom(now)
        states.set(call.key, fresh)
        spare = { a: 0, b: 0, c: 0, expiresAt: 0 }
      }
      return decision
    },
    reset(key: string): void {
      states.delete(key)
    },
    close(): void {
      states.clear()
    },
  }
}
