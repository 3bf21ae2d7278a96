/**
 * `--redis URL`: a cache over one `redisStore`, plus SCAN for `keys` and INFO
 * for `stats`. The client fails fast (no retry loop) so an unreachable server
 * is reported at once instead of hanging the command.
 * @module
 */
import { Cluster, type Redis } from 'ioredis'
import { createCacheWith } from '../core/cache.js'
import { CacheError } from '../core/errors.js'
import { redisStore } from '../stores/redis/index.js'
import { UsageError } from './args.js'
import type { Target } from './target.js'

const CONNECT_TIMEOUT = 3000
/** `stats` counts entries with SCAN up to this many. */
const ENTRY_COUNT_LIMIT = 100_000

/** Escapes SCAN MATCH's glob characters so a prefix matches only itself. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&')
}

/** The URL with its password hidden, for messages. */
function redact(url: URL): string {
  const copy = new URL(url.href)
  if (copy.password !== '') copy.password = '***'
  return copy.href.replace(/\/$/, '')
}

/** @internal */
export async function openRedis(url: string, prefix: string | undefined): Promise<Target> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`--redis ${JSON.stringify(url)} is not a URL: use redis://host:6379 (or rediss:// for TLS).`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`--redis needs a redis:// or rediss:// URL; got ${parsed.protocol}// .`)
  }
  const shown = redact(parsed)
  const store = redisStore({
    url,
    ...(prefix === undefined ? {} : { prefix }),
    timeout: '5s',
    breaker: false,
    strict: true,
    redisOptions: {
      connectTimeout: CONNECT_TIMEOUT,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: true,
    },
  })
  const client = store.client as Redis | Cluster
  // ioredis reports why it cannot connect only through 'error' events (the
  // command itself fails with "Connection is closed."), and prints them unasked
  // where nobody listens: keep the cause for the message below.
  let cause: Error | undefined
  client.on('error', (error: Error) => {
    cause ??= error
  })
  try {
    await Promise.race([
      client.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), CONNECT_TIMEOUT).unref()),
    ])
  } catch (error) {
    client.disconnect()
    const why = cause?.message ?? (error instanceof Error ? error.message : String(error))
    throw new CacheError(
      'ERR_CACHE_UNAVAILABLE',
      `Cannot reach Redis at ${shown} (${why}): check the URL and that the server runs.`,
      { cause: cause ?? error },
    )
  }
  const cache = createCacheWith({ tiers: [store], strict: true }, () => [])
  const masters = (): Redis[] => (client instanceof Cluster ? client.nodes('master') : [client as Redis])
  const target: Target = {
    label: `redis ${shown} (prefix "${store.prefix}")`,
    cache,
    store,
    async keys(pattern, limit) {
      const match = escapeGlob(store.prefix) + pattern
      const out: string[] = []
      for (const node of masters()) {
        let cursor = '0'
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000)
          cursor = next
          for (const k of batch) {
            if (out.length >= limit) return { keys: out, complete: false }
            out.push(k.slice(store.prefix.length))
          }
        } while (cursor !== '0')
      }
      return { keys: out, complete: true }
    },
    async info() {
      // Redis cannot count keys under a prefix without walking them: a bounded SCAN, said to be a floor when cut short.
      const counted = await target.keys('*', ENTRY_COUNT_LIMIT)
      const text = await masters()[0]!.info()
      const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim()
      const hits = Number(field('keyspace_hits') ?? 0)
      const misses = Number(field('keyspace_misses') ?? 0)
      return {
        entries: counted.complete ? counted.keys.length : `${ENTRY_COUNT_LIMIT}+`,
        server: `Redis ${field('redis_version') ?? '?'}`,
        serverHitRatio: hits + misses === 0 ? null : Math.round((hits / (hits + misses)) * 1000) / 1000,
        serverKeyspaceHits: hits,
        serverKeyspaceMisses: misses,
        usedMemory: field('used_memory_human'),
        maxmemoryPolicy: field('maxmemory_policy'),
        evictedKeys: Number(field('evicted_keys') ?? 0),
        expiredKeys: Number(field('expired_keys') ?? 0),
      }
    },
    async serverCounters() {
      const text = await masters()[0]!.info('stats')
      const num = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0)
      return { 'redis server (all keys)': { hits: num('keyspace_hits'), misses: num('keyspace_misses') } }
    },
    async close() {
      await cache.close()
    },
  }
  return target
}
