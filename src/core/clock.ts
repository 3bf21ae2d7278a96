/**
 * The clock every TTL decision reads. Injectable so tests of TTL, grace and
 * refresh never sleep.
 * @module
 */
import { type Duration, parseDuration } from './duration.js'

/** A source of the current time in milliseconds since the epoch. */
export interface Clock {
  /** The current time in milliseconds. Must not go backwards by much; wall-clock time is expected. */
  now(): number
}

let cachedNow = 0
const expireNow = (): void => {
  cachedNow = 0
}

/**
 * The default clock: `Date.now()`, read at most once per millisecond. Reading
 * the wall clock costs more than a whole memory-tier hit, so (as lru-cache
 * does) the value is kept until an unref'd 1 ms timer clears it. Within one
 * synchronous stretch of code the time therefore stands still, which is what
 * a TTL check needs: expiry is never early, and late by at most that stretch.
 */
export const systemClock: Clock = {
  now(): number {
    if (cachedNow !== 0) return cachedNow
    cachedNow = Date.now()
    setTimeout(expireNow, 1).unref()
    return cachedNow
  },
}

/**
 * A clock you move by hand, for tests.
 *
 * @example
 * ```ts
 * const clock = manualClock()
 * const cache = createCache({ clock, ttl: '1m' })
 * clock.advance('2m') // everything set before is now stale
 * ```
 */
export interface ManualClock extends Clock {
  /** Moves the clock forward by a duration (milliseconds or a string such as `'5m'`). */
  advance(by: Duration): void
  /** Sets the clock to `ms`. */
  set(ms: number): void
}

/**
 * Creates a {@link ManualClock} starting at `start` (default: 1,700,000,000,000).
 * @param start - the initial time in milliseconds
 */
export function manualClock(start = 1_700_000_000_000): ManualClock {
  let t = start
  return {
    now: () => t,
    advance(by: Duration) {
      t += parseDuration(by, 'advance')
    },
    set(ms: number) {
      t = ms
    },
  }
}
