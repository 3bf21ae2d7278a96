import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, createCache, guardStore, manualClock, memoryStore, type Store } from '../../src/index.js'
import { registerMetrics } from '../../src/prometheus.js'
import { sqliteJournal, writeBehind } from '../../src/strategies.js'
import { redisBus } from '../../src/tiers/redis-bus.js'
import { parsePrometheus, type Sample, sampleValue } from './helpers/prom-text.js'
import { REDIS_URL, type RedisTier, redisAvailable, redisTier } from './helpers/redis-tier.js'

const hasRedis = await redisAvailable()
if (!hasRedis && process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is unreachable (CI=true)`)
if (!hasRedis) console.warn(`prometheus.test: Redis at ${REDIS_URL} is unreachable; skipping`)

/** A tier that fails every call: the fail-open path. */
function downTier(): Store<Uint8Array> {
  const fail = () => Promise.reject(new Error('down'))
  return { name: 'down', binary: true, get: fail, set: fail, delete: fail, clear: fail }
}

describe.skipIf(!hasRedis)('cachestack/prometheus, scraped over HTTP', () => {
  const registry = new Registry()
  let server: Server
  let url: string
  let l2: RedisTier
  let cache: Cache
  const clock = manualClock()

  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    return parsePrometheus(await res.text())
  }

  beforeAll(async () => {
    l2 = await redisTier('redis')
    cache = createCache({ clock, tiers: [memoryStore({ maxEntries: 2 }), l2], ttl: '1m' })
    registerMetrics(cache, { registry, name: 'api' })
    server = createServer(async (req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end()
      res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
  })

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve))
    await cache?.close()
  })

  it('counts hits by tier, misses, loads and their latency, by namespace', async () => {
    const users = cache.namespace('users')
    const before = await scrape()
    expect(sampleValue(before, 'cachestack_hits_total', { cache: 'api', namespace: 'users', tier: 'memory' })).toBe(0)

    const load = async () => {
      clock.advance(30) // the loader takes 30 ms of the cache's clock
      return { name: 'Ada' }
    }
    expect(await users.getOrSet('1', load)).toEqual({ name: 'Ada' }) // miss + load
    expect(await users.getOrSet('1', load)).toEqual({ name: 'Ada' }) // memory hit
    expect(await users.getOrSet('1', load)).toEqual({ name: 'Ada' }) // memory hit
    expect(await cache.get('nothing')).toBeUndefined() // root miss
    ;(cache.tiers[0] as ReturnType<typeof memoryStore>).delete('users:1')
    expect(await users.get('1')).toEqual({ name: 'Ada' }) // redis hit, copied up

    const s = await scrape()
    expect(sampleValue(s, 'cachestack_hits_total', { cache: 'api', namespace: 'users', tier: 'memory' })).toBe(2)
    expect(sampleValue(s, 'cachestack_hits_total', { cache: 'api', namespace: 'users', tier: 'redis' })).toBe(1)
    expect(sampleValue(s, 'cachestack_misses_total', { cache: 'api', namespace: 'users' })).toBe(1)
    expect(sampleValue(s, 'cachestack_misses_total', { cache: 'api', namespace: '' })).toBe(1)
    expect(sampleValue(s, 'cachestack_loads_total', { cache: 'api', namespace: 'users' })).toBe(1)
    expect(sampleValue(s, 'cachestack_hit_ratio', { cache: 'api', namespace: 'users' })).toBe(0.75)
    expect(sampleValue(s, 'cachestack_load_duration_seconds_count', { cache: 'api', namespace: 'users' })).toBe(1)
    expect(sampleValue(s, 'cachestack_load_duration_seconds_sum', { cache: 'api', namespace: 'users' })).toBeCloseTo(
      0.03,
    )
    expect(
      sampleValue(s, 'cachestack_load_duration_seconds_bucket', { cache: 'api', namespace: 'users', le: '0.025' }),
    ).toBe(0)
    expect(
      sampleValue(s, 'cachestack_load_duration_seconds_bucket', { cache: 'api', namespace: 'users', le: '0.05' }),
    ).toBe(1)
    // Redis calls are timed: two reads that missed it (users:1 before its load, "nothing") and one that found it.
    const redisGets = sampleValue(s, 'cachestack_tier_operation_duration_seconds_count', {
      cache: 'api',
      tier: 'redis',
      operation: 'get',
      outcome: 'ok',
    })
    expect(redisGets).toBe(3)
    expect(sampleValue(s, 'cachestack_entries', { cache: 'api', tier: 'memory' })).toBe(1)
    // The Redis tier cannot tell its size cheaply (it would take a SCAN): no series rather than a wrong one.
    expect(sampleValue(s, 'cachestack_entries', { cache: 'api', tier: 'redis' })).toBeUndefined()

    // The numbers move with traffic.
    await users.getOrSet('1', load)
    const after = await scrape()
    expect(sampleValue(after, 'cachestack_hits_total', { cache: 'api', namespace: 'users', tier: 'memory' })).toBe(3)
    expect(sampleValue(after, 'cachestack_hit_ratio', { cache: 'api', namespace: 'users' })).toBe(0.8)
  })

  it('counts evictions by tier and reason, invalidations, clears, stale hits and load errors', async () => {
    const ns = cache.namespace('evict')
    await ns.set('a', 1)
    await ns.set('b', 2)
    await ns.set('c', 3) // the memory tier holds 2: an eviction
    await cache.invalidateTags(['products', 'users'])
    await ns.clear()
    const flaky = cache.namespace('flaky')
    await flaky.set('k', 'old', { ttl: '1s', grace: '1h' })
    clock.advance('2s')
    expect(
      await flaky.getOrSet('k', () => {
        throw new Error('source down')
      }),
    ).toBe('old')
    const s = await scrape()
    expect(
      sampleValue(s, 'cachestack_evictions_total', { cache: 'api', tier: 'memory', reason: 'capacity' }),
    ).toBeGreaterThanOrEqual(1)
    expect(sampleValue(s, 'cachestack_invalidations_total', { cache: 'api' })).toBe(2)
    expect(sampleValue(s, 'cachestack_clears_total', { cache: 'api', namespace: 'evict' })).toBe(1)
    expect(sampleValue(s, 'cachestack_stale_hits_total', { cache: 'api', namespace: 'flaky' })).toBe(1)
    expect(sampleValue(s, 'cachestack_load_errors_total', { cache: 'api', namespace: 'flaky' })).toBe(1)
  })

  it('counts tier errors (fail-open) per cache; two caches share a registry under distinct names', async () => {
    const other = createCache({ tiers: [memoryStore(), downTier()] })
    const handle = registerMetrics(other, { registry, name: 'flaky' })
    expect(() => registerMetrics(other, { registry, name: 'flaky' })).toThrow(/already registered.*distinct "name"/)
    expect(await other.getOrSet('k', () => 'from source')).toBe('from source')
    const s = await scrape()
    expect(sampleValue(s, 'cachestack_tier_errors_total', { cache: 'flaky', tier: 'down' })).toBe(2)
    expect(sampleValue(s, 'cachestack_tier_errors_total', { cache: 'api', tier: 'redis' })).toBe(0)
    expect(
      sampleValue(s, 'cachestack_tier_operation_duration_seconds_count', {
        cache: 'flaky',
        tier: 'down',
        operation: 'get',
        outcome: 'error',
      }),
    ).toBe(1)
    handle.unregister()
    const after = await scrape()
    expect(sampleValue(after, 'cachestack_tier_errors_total', { cache: 'flaky', tier: 'down' })).toBeUndefined()
    expect(sampleValue(after, 'cachestack_tier_errors_total', { cache: 'api', tier: 'redis' })).toBe(0)
  })
})

describe('circuit breaker metrics', () => {
  it('counts trips, skipped calls and the open circuit of a guarded tier', async () => {
    const registry = new Registry()
    const clock = manualClock()
    const cache = createCache({
      clock,
      tiers: [memoryStore(), guardStore(downTier(), { breaker: { failures: 2, cooldown: '10s' } })],
    })
    registerMetrics(cache, { registry, name: 'guarded' })
    for (const k of ['a', 'b', 'c']) await cache.getOrSet(k, () => k) // get + set each; the breaker opens after 2
    const s = parsePrometheus(await registry.metrics())
    expect(sampleValue(s, 'cachestack_circuit_breaker_trips_total', { cache: 'guarded', tier: 'down' })).toBe(1)
    expect(sampleValue(s, 'cachestack_tier_skipped_total', { cache: 'guarded', tier: 'down' })).toBe(4)
    expect(sampleValue(s, 'cachestack_circuit_open', { cache: 'guarded', tier: 'down' })).toBe(1)
    clock.advance('11s')
    const later = parsePrometheus(await registry.metrics())
    expect(sampleValue(later, 'cachestack_circuit_open', { cache: 'guarded', tier: 'down' })).not.toBe(1)
  })
})

describe.skipIf(!hasRedis)('invalidation bus metrics', () => {
  it('counts messages published and received over a real Redis bus', async () => {
    const channel = `cs-test-bus-${process.pid}-${Math.random().toString(36).slice(2)}`
    const a = createCache({ tiers: [memoryStore()], bus: redisBus({ url: REDIS_URL, channel }) })
    const b = createCache({ tiers: [memoryStore()], bus: redisBus({ url: REDIS_URL, channel }) })
    try {
      const registry = new Registry()
      registerMetrics(a, { registry, name: 'a' })
      registerMetrics(b, { registry, name: 'b' })
      // Subscribing is asynchronous: write until b has heard from a.
      for (let i = 0; i < 200 && (b.stats().bus?.received ?? 0) === 0; i++) {
        await a.set('k', i)
        await new Promise((r) => setTimeout(r, 10))
      }
      const s = parsePrometheus(await registry.metrics())
      const published = sampleValue(s, 'cachestack_bus_messages_total', { cache: 'a', direction: 'published' })!
      expect(published).toBeGreaterThan(0)
      expect(published).toBe(a.stats().bus!.published)
      expect(sampleValue(s, 'cachestack_bus_messages_total', { cache: 'b', direction: 'received' })).toBe(
        b.stats().bus!.received,
      )
      expect(sampleValue(s, 'cachestack_bus_messages_total', { cache: 'b', direction: 'received' })).toBeGreaterThan(0)
      expect(sampleValue(s, 'cachestack_bus_pending', { cache: 'a' })).toBe(0)
      expect(sampleValue(s, 'cachestack_bus_errors_total', { cache: 'a' })).toBe(0)
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('write-behind metrics', () => {
  it('reports the backlog, lag and flushes of a real write-behind queue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cachestack-wb-'))
    const clock = manualClock()
    const cache = createCache({ clock })
    const flushed: string[] = []
    let failNext = true
    const queue = writeBehind<number>({
      cache,
      clock,
      maxDelay: '1h', // flushed only when the test asks
      retry: { min: 1, max: 1 },
      journal: sqliteJournal({ path: join(dir, 'journal.db') }),
      flush: (batch) => {
        if (failNext) {
          failNext = false
          throw new Error('database down')
        }
        for (const e of batch) flushed.push(e.key)
      },
    })
    try {
      const registry = new Registry()
      registerMetrics(cache, { registry, name: 'wb', writeBehind: { stock: queue } })
      await queue.write('sku-1', 1)
      await queue.write('sku-1', 2)
      await queue.write('sku-2', 5)
      clock.advance(1500)
      let s = parsePrometheus(await registry.metrics())
      expect(sampleValue(s, 'cachestack_write_behind_backlog', { cache: 'wb', queue: 'stock' })).toBe(2)
      expect(sampleValue(s, 'cachestack_write_behind_lag_seconds', { cache: 'wb', queue: 'stock' })).toBe(1.5)
      expect(sampleValue(s, 'cachestack_write_behind_writes_total', { cache: 'wb', queue: 'stock' })).toBe(3)
      expect(sampleValue(s, 'cachestack_write_behind_coalesced_total', { cache: 'wb', queue: 'stock' })).toBe(1)
      await queue.flush()
      s = parsePrometheus(await registry.metrics())
      expect(flushed.sort()).toEqual(['sku-1', 'sku-2'])
      expect(sampleValue(s, 'cachestack_write_behind_backlog', { cache: 'wb', queue: 'stock' })).toBe(0)
      expect(sampleValue(s, 'cachestack_write_behind_flushed_total', { cache: 'wb', queue: 'stock' })).toBe(2)
      expect(sampleValue(s, 'cachestack_write_behind_flush_failures_total', { cache: 'wb', queue: 'stock' })).toBe(1)
    } finally {
      await queue.close()
      await cache.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('registerMetrics options', () => {
  it('rejects a bad name or buckets with the option named', () => {
    const cache = createCache()
    expect(() => registerMetrics(cache, { registry: new Registry(), name: '' })).toThrow(/Option "name"/)
    expect(() => registerMetrics(cache, { registry: new Registry(), buckets: [0, 1] })).toThrow(/Option "buckets"/)
  })

  it('the last unregister removes the metrics from the registry', async () => {
    const registry = new Registry()
    const handle = registerMetrics(createCache(), { registry })
    expect(await registry.metrics()).toContain('cachestack_hits_total')
    handle.unregister()
    expect(await registry.metrics()).not.toContain('cachestack_')
  })
})

describe('the Grafana dashboard (dashboards/cachestack.json)', () => {
  it('queries only metrics that registerMetrics exposes', async () => {
    const { readFileSync } = await import('node:fs')
    const json = JSON.parse(readFileSync(new URL('../../dashboards/cachestack.json', import.meta.url), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[]
    }
    const registry = new Registry()
    registerMetrics(createCache(), { registry })
    const exposed = new Set((await registry.getMetricsAsJSON()).map((m) => m.name))
    const used = new Set<string>()
    for (const p of json.panels) {
      for (const t of p.targets) {
        for (const m of t.expr.matchAll(/cachestack_[a-z_]+/g)) used.add(m[0].replace(/_(bucket|sum|count)$/, ''))
      }
    }
    expect(used.size).toBeGreaterThan(10)
    for (const name of used) expect(exposed, name).toContain(name)
  })
})
