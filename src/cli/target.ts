/**
 * What a CLI command works on: one Redis (a server, a Cluster, or through
 * Sentinel), Memcached or SQLite tier, wrapped in a cache
 * so keys, envelopes, tags and deletes go through the same code as the app's.
 * Each backend's opener is imported only when asked for, so `--sqlite` never
 * loads ioredis and `--redis` never loads better-sqlite3 or memjs.
 * @module
 */
import type { Cache } from '../core/cache.js'
import type { Store } from '../core/store.js'
import { flag, type Parsed, UsageError } from './args.js'

/** @internal */
export interface Target {
  /** For messages: `redis redis://127.0.0.1:6379 (prefix "cachestack:")`. */
  readonly label: string
  readonly cache: Cache
  readonly store: Store
  /** Keys matching a glob `pattern` (`*`, `?`), at most `limit`, found by a bounded scan. */
  keys(pattern: string, limit: number): Promise<{ keys: string[]; complete: boolean }>
  /** Facts about the backend for `stats`. */
  info(): Promise<Record<string, unknown>>
  /** The server's own hit and miss counters, where it keeps them (Redis keyspace hits), for the dashboard. */
  serverCounters?(): Promise<Record<string, { hits: number; misses: number }>>
  close(): Promise<void>
}

/** @internal Opens the tier the flags name (`--redis URL`, `--sentinel ADDRS`, `--memcached ADDRS` or `--sqlite PATH`). */
export async function openTarget(p: Parsed): Promise<Target> {
  const fromEnv = process.env.CACHESTACK_REDIS_URL === '' ? undefined : process.env.CACHESTACK_REDIS_URL
  const given = (['redis', 'sentinel', 'memcached', 'sqlite'] as const).filter((name) => flag(p, name) !== undefined)
  if (given.length > 1) {
    throw new UsageError(`Give one tier: ${given.map((g) => `--${g}`).join(' and ')} were both given.`)
  }
  if (flag(p, 'master') !== undefined && given[0] !== 'sentinel') {
    throw new UsageError('--master names the master that --sentinel watches: give --sentinel host:port too.')
  }
  const redis = flag(p, 'redis') ?? (given.length === 0 ? fromEnv : undefined)
  if (redis !== undefined) {
    const { openRedis } = await import('./redis-target.js')
    return openRedis({ url: redis }, flag(p, 'prefix'))
  }
  const sentinel = flag(p, 'sentinel')
  if (sentinel !== undefined) {
    const { openRedis } = await import('./redis-target.js')
    return openRedis({ sentinels: sentinel, masterName: flag(p, 'master') }, flag(p, 'prefix'))
  }
  const memcached = flag(p, 'memcached')
  if (memcached !== undefined) {
    const { openMemcached } = await import('./memcached-target.js')
    return openMemcached(memcached, flag(p, 'prefix'))
  }
  const sqlite = flag(p, 'sqlite')
  if (sqlite !== undefined) {
    const { openSqlite } = await import('./sqlite-target.js')
    return openSqlite(sqlite, flag(p, 'table'))
  }
  throw new UsageError(
    'Name the tier: --redis redis://host:6379 or --sqlite ./path/to/cache.db, or --sentinel host:26379 --master NAME, or --memcached host:11211 (or set CACHESTACK_REDIS_URL).',
  )
}

/** @internal Turns a glob (`user:*`) into a RegExp, for backends without one. */
export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (const c of glob) {
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, 's')
}
