/**
 * What a CLI command works on: one Redis or SQLite tier, wrapped in a cache
 * so keys, envelopes, tags and deletes go through the same code as the app's.
 * Each backend's opener is imported only when asked for, so `--sqlite` never
 * loads ioredis and `--redis` never loads better-sqlite3.
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

/** @internal Opens the tier the flags name (`--redis URL` or `--sqlite PATH`). */
export async function openTarget(p: Parsed): Promise<Target> {
  const fromEnv = process.env.CACHESTACK_REDIS_URL === '' ? undefined : process.env.CACHESTACK_REDIS_URL
  const redis = flag(p, 'redis') ?? (flag(p, 'sqlite') === undefined ? fromEnv : undefined)
  const sqlite = flag(p, 'sqlite')
  if (redis !== undefined && sqlite !== undefined)
    throw new UsageError('Give either --redis URL or --sqlite PATH, not both.')
  if (redis !== undefined) {
    const { openRedis } = await import('./redis-target.js')
    return openRedis(redis, flag(p, 'prefix'))
  }
  if (sqlite !== undefined) {
    const { openSqlite } = await import('./sqlite-target.js')
    return openSqlite(sqlite, flag(p, 'table'))
  }
  throw new UsageError(
    'Name the tier: --redis redis://host:6379 or --sqlite ./path/to/cache.db (or set CACHESTACK_REDIS_URL).',
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
