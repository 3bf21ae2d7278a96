/**
 * Refresh-ahead: a hot entry is reloaded in the background once a read comes
 * after a fraction of its TTL, so readers never wait for a reload and never
 * see a miss while the key stays in demand. Built on the core's early refresh;
 * with `lock`, one process reloads when the cache is shared.
 * @module
 */
import type { Cache } from '../core/cache.js'
import type { Duration } from '../core/duration.js'
import { invalidOption } from '../core/errors.js'
import type { GetOrSetOptions } from '../core/options.js'

/** Options of {@link refreshAhead}. */
export interface RefreshAheadOptions<V> extends Omit<GetOrSetOptions<V>, 'earlyRefresh'> {
  /** How long a value stays fresh. Required: refresh-ahead is a fraction of it. */
  ttl: Duration
  /** The fraction of the TTL after which a read triggers a background reload (0–1). @defaultValue 0.8 */
  ratio?: number
}

/** A loader with refresh-ahead: `get(key)` answers from the cache and reloads hot keys early. */
export interface RefreshAhead<V> {
  /** The value under `key`, loading it on a miss and reloading it in the background when due. */
  get(key: string): Promise<V>
}

/**
 * Binds `loader` to `cache` with refresh-ahead.
 *
 * @param cache - the cache or namespace
 * @param loader - loads the value of a key
 * @param options - `ttl` (required), `ratio`, and any `getOrSet` option (`tags`, `grace`, `lock`, …)
 * @example
 * ```ts
 * const rates = refreshAhead(cache.namespace('fx'), (pair) => fetchRate(pair), { ttl: '1m', ratio: 0.75, lock: true })
 * await rates.get('EUR/USD') // after 45 s, a read returns the cached rate and reloads it in the background
 * ```
 */
export function refreshAhead<V>(
  cache: Cache,
  loader: (key: string) => V | Promise<V>,
  options: RefreshAheadOptions<V>,
): RefreshAhead<V> {
  if (typeof loader !== 'function') throw invalidOption('loader', 'a function (key) => value', loader)
  if (options === null || typeof options !== 'object' || options.ttl === undefined) {
    throw invalidOption('ttl', 'a duration (refresh-ahead refreshes at a fraction of it)', options?.ttl)
  }
  const { ratio = 0.8, ...rest } = options
  if (!(typeof ratio === 'number' && ratio > 0 && ratio < 1))
    throw invalidOption('ratio', 'a number between 0 and 1', ratio)
  const getOrSetOptions: GetOrSetOptions<V> = { ...rest, earlyRefresh: { ratio } }
  return {
    get: (key) => cache.getOrSet<V>(key, () => loader(key), getOrSetOptions),
  }
}
