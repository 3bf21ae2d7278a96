/**
 * Scheduled precompute: a value the application computes on a timer (a
 * report, a leaderboard, a sitemap) rather than on demand, the job a task
 * queue does in the articles. Runs never overlap in a process; with a shared
 * tier that offers locks (Redis), one process per period computes and the
 * others read its result.
 * @module
 */
import type { Cache } from '../core/cache.js'
import { type Duration, parseDuration } from '../core/duration.js'
import { invalidOption } from '../core/errors.js'

/** Options of {@link schedule}. */
export interface ScheduleOptions {
  /** How often to recompute. */
  every: Duration
  /**
   * Spreads runs by up to this fraction of `every`, either way, so processes
   * started together do not all fire at once. @defaultValue 0.1
   */
  jitter?: number
  /** How long a computed value stays fresh. @defaultValue twice `every` (one missed run is covered) */
  ttl?: Duration
  /** Tags of the stored value. */
  tags?: readonly string[]
  /** Run once at start (otherwise the first reader computes it). @defaultValue true */
  runOnStart?: boolean
  /**
   * Take a lock in the cache's shared tier (the lowest tier with `lock`, such
   * as Redis) for each period, so one process computes per period. Without such
   * a tier, only overlap within the process is prevented. @defaultValue true
   */
  lock?: boolean
  /** Called when a run fails (the previous value stays until its TTL). */
  onError?: (error: unknown) => void
}

/** Counters of a schedule. */
export interface ScheduleStats {
  /** Runs that computed and stored a value. */
  runs: number
  /** Ticks skipped because a run was still going in this process. */
  overlaps: number
  /** Ticks skipped because another process held the period's lock. */
  lockedOut: number
  /** Runs that failed. */
  failures: number
  /** When the last successful run ended (ms, `Date.now`), or 0. */
  lastRunAt: number
}

/** A scheduled value. */
export interface Scheduled<V> {
  /** The current value: the precomputed one, or computed now on a cold cache. */
  get(): Promise<V>
  /** Runs now (if no run is going and the lock is free); resolves whether it computed. */
  run(): Promise<boolean>
  /** Stops the timer. A run in progress finishes. */
  stop(): void
  /** Counters. */
  stats(): ScheduleStats
}

/**
 * Recomputes `loader` every `every` (with jitter) and stores it under `key`.
 *
 * @param cache - the cache or namespace (shared between processes for one computation per period)
 * @param key - where the value is stored
 * @param loader - computes the value
 * @param options - see {@link ScheduleOptions}
 * @example
 * ```ts
 * const daily = schedule(cache, 'report:daily', () => buildDailyReport(db), { every: '5m' })
 * app.get('/report', async (_req, res) => res.json(await daily.get()))
 * process.on('SIGTERM', () => daily.stop())
 * ```
 */
export function schedule<V>(
  cache: Cache,
  key: string,
  loader: () => V | Promise<V>,
  options: ScheduleOptions,
): Scheduled<V> {
  if (typeof loader !== 'function') throw invalidOption('loader', 'a function', loader)
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object with every', options)
  const every = parseDuration(options.every, 'every')
  if (!(every > 0) || !Number.isFinite(every)) throw invalidOption('every', 'a finite duration > 0', options.every)
  const jitter = options.jitter ?? 0.1
  if (!(jitter >= 0 && jitter < 1)) throw invalidOption('jitter', 'a fraction between 0 and 1', jitter)
  const ttl = options.ttl === undefined ? 2 * every : parseDuration(options.ttl, 'ttl')
  const setOptions = { ttl, tags: options.tags }
  const lockTier = options.lock === false ? undefined : cache.tiers.findLast((t) => typeof t.lock === 'function')
  const lockKey = `cachestack:schedule:${cache.name}:${key}`
  const stats: ScheduleStats = { runs: 0, overlaps: 0, lockedOut: 0, failures: 0, lastRunAt: 0 }
  let running: Promise<boolean> | undefined
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const runOnce = async (): Promise<boolean> => {
    let release: (() => Promise<void>) | undefined
    if (lockTier !== undefined) {
      // Held for most of the period and not released on success: the other processes' ticks in this period skip.
      release = await lockTier.lock!(lockKey, Math.max(1, Math.floor(every * (1 - jitter) * 0.9)))
      if (release === undefined) {
        stats.lockedOut++
        return false
      }
    }
    try {
      const value = await loader()
      await cache.set(key, value, setOptions)
      stats.runs++
      stats.lastRunAt = Date.now()
      return true
    } catch (error) {
      stats.failures++
      options.onError?.(error)
      // Let another process (or the next tick) try again.
      await release?.().catch(() => {})
      return false
    }
  }

  const run = (): Promise<boolean> => {
    if (running !== undefined) {
      stats.overlaps++
      return Promise.resolve(false)
    }
    running = runOnce().finally(() => {
      running = undefined
    })
    return running
  }

  const next = () => {
    if (stopped) return
    const delay = every * (1 + (Math.random() * 2 - 1) * jitter)
    timer = setTimeout(() => {
      void run().catch((error: unknown) => options.onError?.(error))
      next()
    }, delay)
    timer.unref?.()
  }

  if (options.runOnStart !== false) void run().catch((error: unknown) => options.onError?.(error))
  next()

  return {
    get: () => cache.getOrSet<V>(key, loader, setOptions),
    run,
    stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
    },
    stats: () => ({ ...stats }),
  }
}
