/**
 * A cache's events as log lines, for pino or any logger with the same
 * methods (`warn`, `info`, `debug`, `error`, each taking an object then a
 * message): stale serves, tier errors, circuit changes and slow loads, each
 * at the level an operator would want it.
 * @module
 */
import type { Cache } from '../../core/cache.js'
import { invalidOption } from '../../core/errors.js'
import type { CacheEvents } from '../../core/events.js'

/** A logger with pino's methods (pino, or anything that takes `(object, message)`). */
export interface EventLogger {
  error(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

/** Options of {@link logEvents}. */
export interface LogEventsOptions {
  /**
   * A load at least this long is logged (`info`), in ms.
   * @defaultValue 1000
   */
  slowLoad?: number
  /**
   * Whether every hit, miss and set is logged at `debug` (loud: one line per read).
   * @defaultValue false
   */
  reads?: boolean
}

type Circuit = 'closed' | 'open' | 'half-open'

/**
 * Sends `cache`'s events to `logger`:
 *
 * | event | level | message |
 * |---|---|---|
 * | a stale value served because the loader failed or timed out | `warn` | `cache served stale` |
 * | a tier failed and was skipped (fail-open) | `warn` | `cache tier failed` |
 * | a loader failed | `error` | `cache load failed` |
 * | a tier's circuit opened / closed again | `error` / `info` | `cache circuit open` / `cache circuit closed` |
 * | a load at least `slowLoad` ms long | `info` | `cache slow load` |
 * | tags invalidated, a namespace cleared | `info` | `cache invalidated` / `cache cleared` |
 * | hits, misses, sets (with `reads: true`) | `debug` | `cache hit` / `cache miss` / `cache set` |
 *
 * Returns a function that stops the logging.
 *
 * @param cache - the cache to watch
 * @param logger - pino, or any logger with its `error`/`warn`/`info`/`debug` methods
 * @param options - see {@link LogEventsOptions}
 * @example
 * ```ts
 * import pino from 'pino'
 * import { createCache } from 'cachestack'
 * import { logEvents } from 'cachestack/log'
 *
 * const cache = createCache({ ttl: '5m' })
 * const stop = logEvents(cache, pino().child({ component: 'cache' }))
 * ```
 */
export function logEvents(cache: Cache, logger: EventLogger, options: LogEventsOptions = {}): () => void {
  if (cache === null || typeof cache !== 'object' || typeof cache.on !== 'function') {
    throw invalidOption('cache', 'a cache from createCache()', cache)
  }
  for (const level of ['error', 'warn', 'info', 'debug'] as const) {
    if (logger === null || typeof logger !== 'object' || typeof logger[level] !== 'function') {
      throw invalidOption('logger', `a logger with an ${level}(obj, msg) method, such as pino()`, logger)
    }
  }
  const slow = options.slowLoad ?? 1000
  if (typeof slow !== 'number' || !(slow >= 0)) throw invalidOption('slowLoad', 'a number of ms, 0 or more', slow)

  // Circuit states by tier name, read from the tiers that report their health.
  const circuits = new Map<string, Circuit>()
  const checkCircuits = (): void => {
    for (const tier of cache.tiers) {
      const health = (tier as { health?: () => { circuit?: Circuit } }).health
      if (typeof health !== 'function') continue
      const state = health.call(tier).circuit
      if (state === undefined) continue
      const before = circuits.get(tier.name) ?? 'closed'
      if (state === before) continue
      circuits.set(tier.name, state)
      if (state === 'open') logger.error({ tier: tier.name }, 'cache circuit open')
      else if (state === 'closed') logger.info({ tier: tier.name }, 'cache circuit closed')
    }
  }

  const onStale = (e: CacheEvents['stale']): void =>
    logger.warn({ key: e.key, namespace: e.namespace, reason: e.reason, err: e.error }, 'cache served stale')
  const onError = (e: CacheEvents['error']): void => {
    logger.warn({ err: e.error, operation: e.operation, tier: e.tier, key: e.key }, 'cache tier failed')
    checkCircuits()
  }
  const onTierOp = (e: CacheEvents['tierOp']): void => {
    if (e.ok && circuits.get(e.tier) !== undefined && circuits.get(e.tier) !== 'closed') checkCircuits()
  }
  const onLoadError = (e: CacheEvents['loadError']): void =>
    logger.error({ key: e.key, namespace: e.namespace, err: e.error, duration: e.duration }, 'cache load failed')
  const onLoad = (e: CacheEvents['load']): void => {
    if (e.duration >= slow) logger.info({ key: e.key, namespace: e.namespace, duration: e.duration }, 'cache slow load')
  }
  const onInvalidate = (e: CacheEvents['invalidate']): void => logger.info({ tags: e.tags }, 'cache invalidated')
  const onClear = (e: CacheEvents['clear']): void => logger.info({ namespace: e.namespace }, 'cache cleared')
  const onHit = (e: CacheEvents['hit']): void => logger.debug({ key: e.key, tier: e.tier }, 'cache hit')
  const onMiss = (e: CacheEvents['miss']): void => logger.debug({ key: e.key }, 'cache miss')
  const onSet = (e: CacheEvents['set']): void => logger.debug({ key: e.key }, 'cache set')

  cache.on('stale', onStale)
  cache.on('error', onError)
  cache.on('tierOp', onTierOp)
  cache.on('loadError', onLoadError)
  cache.on('load', onLoad)
  cache.on('invalidate', onInvalidate)
  cache.on('clear', onClear)
  if (options.reads === true) {
    cache.on('hit', onHit)
    cache.on('miss', onMiss)
    cache.on('set', onSet)
  }
  return function stopLogging(): void {
    cache.off('stale', onStale)
    cache.off('error', onError)
    cache.off('tierOp', onTierOp)
    cache.off('loadError', onLoadError)
    cache.off('load', onLoad)
    cache.off('invalidate', onInvalidate)
    cache.off('clear', onClear)
    cache.off('hit', onHit)
    cache.off('miss', onMiss)
    cache.off('set', onSet)
  }
}
