/**
 * `--redis URL` (a server, or any node of a Redis Cluster, found by `INFO
 * cluster`) or `--sentinel host:port --master NAME`: a cache over one
 * `redisStore`, plus SCAN of every master for `keys` and INFO for `stats`.
 * In a Cluster every command goes through a cluster client, so reads follow
 * MOVED redirects. The client fails fast (no retry loop) so an unreachable
 * server is reported at once instead of hanging the command.
 * @module
 */
import { Cluster, type Redis } from 'ioredis'
import { createCacheWith } from '../core/cache.js'
import { CacheError } from '../core/errors.js'
import { type RedisTier, redisStore } from '../stores/redis/index.js'
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

/** Client options that fail fast: a CLI reports an unreachable server at once instead of retrying. */
const FAIL_FAST = {
  connectTimeout: CONNECT_TIMEOUT,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
  enableOfflineQueue: true,
}

/** Where a CLI Redis target points: a URL (a single server or any node of a Cluster) or sentinels. */
export type RedisAddress = { url: string } | { sentinels: string; masterName: string | undefined }

/** @internal */
export async function openRedis(address: RedisAddress, prefix: string | undefined): Promise<Target> {
  const withPrefix = prefix === undefined ? {} : { prefix }
  const common = { ...withPrefix, timeout: '5s' as const, breaker: false as const, strict: true }
  let store: RedisTier
  let shown: string
  if ('sentinels' in address) {
    const sentinels = parseSentinels(address.sentinels)
    shown = `sentinel ${address.sentinels} (master "${address.masterName ?? 'mymaster'}")`
    store = redisStore({
      ...common,
      sentinels,
      ...(address.masterName === undefined ? {} : { masterName: address.masterName }),
      redisOptions: { ...FAIL_FAST, sentinelRetryStrategy: () => null },
    })
    await reach(store.client as Redis, shown, 'Redis (through its sentinels)')
  } else {
    const parsed = parseUrl(address.url)
    shown = redact(parsed)
    store = redisStore({ ...common, url: address.url, redisOptions: FAIL_FAST })
    await reach(store.client as Redis, shown, 'Redis')
    // A node of a Cluster holds a few slots: every command must go through a
    // cluster client, which scans every master and follows MOVED redirects.
    const info = await (store.client as Redis).info('cluster')
    if (/^cluster_enabled:1/m.test(info)) {
      await store.close?.()
      store = redisStore({
        ...common,
        cluster: {
          nodes: [{ host: parsed.hostname, port: Number(parsed.port || 6379) }],
          options: {
            clusterRetryStrategy: () => null,
            redisOptions: {
              ...FAIL_FAST,
              ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
              ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
              ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
            },
          },
        },
      })
      shown = `cluster ${shown}`
      await reach(store.client as Cluster, shown, 'the Redis Cluster')
    }
  }
  const client = store.client as Redis | Cluster
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
      const nodes = masters().length
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
        ...(nodes > 1 ? { masters: nodes, note: 'server counters are those of the first master' } : {}),
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

function parseUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`--redis ${JSON.stringify(url)} is not a URL: use redis://host:6379 (or rediss:// for TLS).`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`--redis needs a redis:// or rediss:// URL; got ${parsed.protocol}// .`)
  }
  return parsed
}

/** `host:port,host:port` into sentinel addresses. */
function parseSentinels(spec: string): { host: string; port: number }[] {
  const out = spec.split(',').map((part) => {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(part.trim())
    if (m === null) {
      throw new UsageError(`--sentinel needs host:port[,host:port…]; got ${JSON.stringify(part)}.`)
    }
    return { host: m[1]!, port: Number(m[2]) }
  })
  return out
}

/**
 * Waits for the first answer. ioredis reports why it cannot connect only
 * through 'error' events (the command itself fails with "Connection is
 * closed."), and prints them unasked where nobody listens: keep the cause for
 * the message.
 */
async function reach(client: Redis | Cluster, shown: string, what: string): Promise<void> {
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
      `Cannot reach ${what} at ${shown} (${why}): check the address and that the server runs.`,
      { cause: cause ?? error },
    )
  }
}
