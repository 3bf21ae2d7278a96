/**
 * Which caches the demo runs on. With no configuration, the embedded default
 * of `createCache()` (memory over a SQLite file) kept in the demo's data
 * folder, sessions in their own SQLite file, and the login rate limiter in
 * memory: no server needed. With REDIS_URL, the shared tier, the bus that
 * keeps every process's memory tier in step, the sessions and the rate limiter
 * all move to Redis, so several demo processes act as one.
 */
import { join } from 'node:path'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { memoryRateLimitStore, type RateLimitStore, type RedisScriptClient } from '../../src/ratelimit.js'
import { sqliteStore } from '../../src/sqlite.js'

export interface Caches {
  /** The application cache: routes, fragments, queries, products, pricing, view counters. */
  cache: Cache
  /** Sessions: shared tiers only, so a logout is seen by every process at once. */
  sessions: Cache
  /** Where login attempts are counted. */
  limiter: RateLimitStore | RedisScriptClient
  /** A line for the banner. */
  tiers: string
  close(): Promise<void>
}

const TTL = '5m'
const GRACE = '1h'

/** Opens the caches: Redis when `redisUrl` is set, else the embedded default under `dataDir`. */
export async function openCaches(
  dataDir: string,
  redisUrl: string | undefined,
  redisPrefix = 'cachestack-demo:',
): Promise<Caches> {
  if (redisUrl !== undefined && redisUrl !== '') return openRedis(redisUrl, redisPrefix)
  const dir = join(dataDir, 'cache')
  const cache = createCache({ dir, ttl: TTL, grace: GRACE })
  const sessions = createCache({ tiers: [sqliteStore({ path: join(dataDir, 'sessions.db') })] })
  return {
    cache,
    sessions,
    limiter: memoryRateLimitStore(),
    tiers: `L1 memory → L2 SQLite file in ${dir} (the createCache() default); sessions in SQLite; login limiter in memory`,
    async close() {
      await cache.close()
      await sessions.close()
    },
  }
}

async function openRedis(url: string, prefix: string): Promise<Caches> {
  const { redisBus, redisStore } = await import('../../src/redis.js')
  const { Redis } = await import('ioredis')
  const cache = createCache({
    tiers: [memoryStore({ maxEntries: 50_000, maxBytes: '128mb' }), redisStore({ url, prefix })],
    bus: redisBus({ url, channel: `${prefix}bus` }),
    ttl: TTL,
    grace: GRACE,
  })
  const sessions = createCache({ tiers: [redisStore({ url, prefix: `${prefix}sess:` })] })
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  return {
    cache,
    sessions,
    limiter: client as unknown as RedisScriptClient,
    tiers: `L1 memory → L2 Redis ${redactUrl(url)} with a bus; sessions and login limiter in Redis`,
    async close() {
      await cache.close()
      await sessions.close()
      client.disconnect()
    },
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return 'at REDIS_URL'
  }
}
