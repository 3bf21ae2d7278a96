/**
 * `--memcached host:port[,host:port…]`: a cache over one `memcachedStore`, so
 * `get`, `del` and `invalidate-tag` read and write exactly as the app's tier
 * does (hashed long keys, tag counters). Memcached cannot list keys, so
 * `keys` says so instead of printing an empty list; `stats` sums the servers'
 * own counters. The client fails fast, as the Redis target's does.
 * @module
 */
import { createCacheWith } from '../core/cache.js'
import { CacheError } from '../core/errors.js'
import { memcachedStore } from '../stores/memcached/index.js'
import type { MemjsClient } from '../stores/memcached/memcached-store.js'
import { UsageError } from './args.js'
import type { Target } from './target.js'

const CONNECT_TIMEOUT = 3000

/** @internal */
export async function openMemcached(servers: string, prefix: string | undefined): Promise<Target> {
  const list = servers.split(',').map((s) => s.trim())
  for (const s of list) {
    if (!/^\[?[^\s\]]+\]?:\d{1,5}$/.test(s)) {
      throw new UsageError(`--memcached needs host:port[,host:port…]; got ${JSON.stringify(s)}.`)
    }
  }
  const store = memcachedStore({
    servers: list,
    ...(prefix === undefined ? {} : { prefix }),
    connectTimeout: CONNECT_TIMEOUT,
    timeout: '5s',
    breaker: false,
    strict: true,
  })
  try {
    // The first operation opens the connections; a miss is its harmless answer.
    await store.store.connecting()
    await store.get('cachestack-cli-probe')
  } catch (error) {
    await store.close()
    throw new CacheError(
      'ERR_CACHE_UNAVAILABLE',
      `Cannot reach Memcached at ${list.join(',')} (${error instanceof Error ? error.message : String(error)}).`,
      { cause: error },
    )
  }
  const cache = createCacheWith({ tiers: [store], strict: true }, () => [])
  return {
    label: `memcached ${list.join(',')} (prefix "${store.store.prefix}")`,
    cache,
    store,
    keys() {
      return Promise.reject(
        new UsageError(
          'Memcached cannot list keys (it has no key listing command): use "get KEY", or "stats" for counts. "keys" works with --redis, --sentinel and --sqlite.',
        ),
      )
    },
    async info() {
      const per = await serverStats(store.client)
      const sum = (name: string) => per.reduce((n, s) => n + Number(s[name] ?? 0), 0)
      const hits = sum('get_hits')
      const misses = sum('get_misses')
      return {
        entries: `${sum('curr_items')} (every key on the servers, not only this prefix: Memcached cannot count by prefix)`,
        server: `Memcached ${per[0]?.version ?? '?'}${per.length > 1 ? ` × ${per.length}` : ''}`,
        serverHitRatio: hits + misses === 0 ? null : Math.round((hits / (hits + misses)) * 1000) / 1000,
        serverGetHits: hits,
        serverGetMisses: misses,
        bytes: sum('bytes'),
        limitMaxbytes: sum('limit_maxbytes'),
        evictions: sum('evictions'),
      }
    },
    async serverCounters() {
      const per = await serverStats(store.client)
      const sum = (name: string) => per.reduce((n, s) => n + Number(s[name] ?? 0), 0)
      return { 'memcached server (all keys)': { hits: sum('get_hits'), misses: sum('get_misses') } }
    },
    async close() {
      await cache.close()
    },
  }
}

/** `stats` of every server (memjs calls back once per server). */
function serverStats(client: MemjsClient): Promise<Record<string, string>[]> {
  const expected = client.servers.length
  return new Promise((resolve, reject) => {
    const out: Record<string, string>[] = []
    let answered = 0
    client.stats((err, _server, stats) => {
      if (err !== null && err !== undefined) {
        reject(err)
        return
      }
      if (stats !== null) out.push(stats)
      if (++answered === expected) resolve(out)
    })
  })
}
