/**
 * Prometheus metrics for a cache, on prom-client.
 *
 * Counters that the cache already keeps (hits, misses, loads, …) are read
 * from `cache.stats()` when Prometheus scrapes, so registering metrics adds
 * nothing to the hit path. Only slow-path events are listened to: loads (for
 * the latency histogram), tier operations below the synchronous first tier,
 * evictions and invalidations.
 * @module
 */
import { Counter, Gauge, register as globalRegistry, Histogram, type Registry } from 'prom-client'
import type { Cache } from '../core/cache.js'
import { CacheError, invalidOption } from '../core/errors.js'
import type { CacheEvents } from '../core/events.js'
import type { CounterSnapshot } from '../core/stats.js'
import type { StoreHealth } from '../core/store.js'
import type { WriteBehindStats } from '../strategies/write-behind.js'
import type { BusStats } from '../tiers/bus.js'

/** Options of {@link registerMetrics}. */
export interface MetricsOptions {
  /** The registry to register on. @defaultValue prom-client's global `register` */
  registry?: Registry
  /**
   * The value of the `cache` label, to tell several caches apart on one registry.
   * @defaultValue `'default'`
   */
  name?: string
  /**
   * Histogram buckets in seconds, for loader and tier-operation latency.
   * @defaultValue `[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]`
   */
  buckets?: number[]
  /**
   * Write-behind queues to report, by a name for the `queue` label: their backlog,
   * lag, writes, coalesced writes, flushed entries and failed flushes.
   * @example `{ writeBehind: { orders: ordersQueue } }`
   */
  writeBehind?: Record<string, { stats(): WriteBehindStats }>
}

/** What {@link registerMetrics} returns. */
export interface MetricsHandle {
  /** Stops listening to the cache and drops its counters and gauges (histogram series stay); the metrics leave the registry with the last cache. */
  unregister(): void
}

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** One registered cache: its label, and what its slow-path events added up to. */
interface Source {
  cache: Cache
  name: string
  evictions: Map<string, number>
  invalidatedTags: number
  clears: Map<string, number>
  stop: () => void
  writeBehind: [string, { stats(): WriteBehindStats }][]
}

type NsCounter = Exclude<keyof CounterSnapshot, 'hitRatio' | 'tierHits' | 'lowerTierHits' | 'hits'>

/** The metrics on one registry, shared by every cache registered on it. */
interface Family {
  sources: Map<string, Source>
  loadSeconds: Histogram<'cache' | 'namespace'>
  tierSeconds: Histogram<'cache' | 'tier' | 'operation' | 'outcome'>
  names: string[]
}

const families = new WeakMap<Registry, Family>()

/** Counters read from each namespace's stats, by metric name. */
const NAMESPACE_COUNTERS: readonly [string, NsCounter, string][] = [
  ['cachestack_misses_total', 'misses', 'Reads that found no fresh value.'],
  [
    'cachestack_stale_hits_total',
    'staleHits',
    'Stale values served within grace because the loader failed or timed out.',
  ],
  ['cachestack_loads_total', 'loads', 'Loader runs that completed.'],
  ['cachestack_load_errors_total', 'loadErrors', 'Loader runs that threw or rejected.'],
  ['cachestack_sets_total', 'sets', 'Values written (set, setMany, touch, loads stored).'],
  ['cachestack_deletes_total', 'deletes', 'Keys deleted.'],
]

function createFamily(registry: Registry, buckets: number[]): Family {
  const sources = new Map<string, Source>()
  const registers = [registry]
  const eachNamespace = (fn: (src: Source, ns: string, c: CounterSnapshot) => void) => {
    for (const src of sources.values()) {
      const stats = src.cache.stats()
      for (const [ns, c] of Object.entries(stats.namespaces)) fn(src, ns, c)
    }
  }
  const names: string[] = []
  const counter = <L extends string>(name: string, help: string, labelNames: L[], fill: (m: Counter<L>) => void) => {
    names.push(name)
    return new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset()
        fill(this)
      },
    })
  }
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (m: Gauge<L>) => void | Promise<void>,
  ) => {
    names.push(name)
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset()
        return fill(this)
      },
    })
  }

  counter(
    'cachestack_hits_total',
    'Fresh values served, by the tier that had them.',
    ['cache', 'namespace', 'tier'],
    (m) =>
      eachNamespace((src, namespace, c) => {
        const tiers = src.cache.tiers
        c.tierHits.forEach((n, i) => {
          m.inc({ cache: src.name, namespace, tier: tiers[i]?.name ?? String(i) }, n)
        })
      }),
  )
  for (const [name, field, help] of NAMESPACE_COUNTERS) {
    counter(name, help, ['cache', 'namespace'], (m) =>
      eachNamespace((src, namespace, c) => m.inc({ cache: src.name, namespace }, c[field])),
    )
  }
  counter(
    'cachestack_evictions_total',
    'Entries a tier dropped on its own: for capacity, because one was too large, or because it expired.',
    ['cache', 'tier', 'reason'],
    (m) => {
      for (const src of sources.values()) {
        for (const [k, n] of src.evictions) {
          const [tier, reason] = k.split('\u0000') as [string, string]
          m.inc({ cache: src.name, tier, reason }, n)
        }
      }
    },
  )
  counter('cachestack_invalidations_total', 'Tags invalidated with invalidateTags.', ['cache'], (m) => {
    for (const src of sources.values()) m.inc({ cache: src.name }, src.invalidatedTags)
  })
  counter('cachestack_clears_total', 'Namespaces (or the whole cache) cleared.', ['cache', 'namespace'], (m) => {
    for (const src of sources.values())
      for (const [namespace, n] of src.clears) m.inc({ cache: src.name, namespace }, n)
  })
  counter(
    'cachestack_tier_errors_total',
    'Tier operations that failed and were skipped (fail-open).',
    ['cache', 'tier'],
    (m) => {
      for (const src of sources.values()) {
        for (const [tier, n] of Object.entries(src.cache.stats().tierErrors)) m.inc({ cache: src.name, tier }, n)
      }
    },
  )
  const health = <L extends string>(m: Counter<L> | Gauge<L>, fn: (h: StoreHealth) => number) => {
    for (const src of sources.values()) {
      for (const [tier, h] of Object.entries(src.cache.stats().tierHealth)) {
        ;(m as Counter<'cache' | 'tier'>).inc({ cache: src.name, tier }, fn(h))
      }
    }
  }
  counter('cachestack_circuit_breaker_trips_total', "Times a tier's circuit breaker opened.", ['cache', 'tier'], (m) =>
    health(m, (h) => h.opened),
  )
  counter(
    'cachestack_tier_skipped_total',
    "Tier operations not made because the tier's circuit was open.",
    ['cache', 'tier'],
    (m) => health(m, (h) => h.skipped),
  )
  counter('cachestack_tier_timeouts_total', 'Tier operations that timed out.', ['cache', 'tier'], (m) =>
    health(m, (h) => h.timeouts),
  )
  gauge(
    'cachestack_circuit_open',
    "Whether a tier's circuit breaker is open now (1), half-open (0.5) or closed (0).",
    ['cache', 'tier'],
    (m) => {
      for (const src of sources.values()) {
        for (const [tier, h] of Object.entries(src.cache.stats().tierHealth)) {
          m.set({ cache: src.name, tier }, h.circuit === 'open' ? 1 : h.circuit === 'half-open' ? 0.5 : 0)
        }
      }
    },
  )
  const bus = <L extends string>(m: Counter<L> | Gauge<L>, fn: (b: BusStats) => [Record<string, string>, number][]) => {
    for (const src of sources.values()) {
      const b = src.cache.stats().bus
      if (b === undefined) continue
      for (const [labels, n] of fn(b)) (m as Counter<string>).inc({ cache: src.name, ...labels }, n)
    }
  }
  counter(
    'cachestack_bus_messages_total',
    'Invalidation bus messages, by direction (published after batching, or received from other processes).',
    ['cache', 'direction'],
    (m) =>
      bus(m, (b) => [
        [{ direction: 'published' }, b.published],
        [{ direction: 'received' }, b.received],
      ]),
  )
  counter('cachestack_bus_errors_total', 'Bus sends or connections that failed.', ['cache'], (m) =>
    bus(m, (b) => [[{}, b.errors]]),
  )
  counter(
    'cachestack_bus_resyncs_total',
    'Bus reconnections after which the local tiers were dropped.',
    ['cache'],
    (m) => bus(m, (b) => [[{}, b.resyncs]]),
  )
  gauge('cachestack_bus_pending', 'Changes waiting to be sent again after a failed bus send.', ['cache'], (m) => {
    for (const src of sources.values()) {
      const b = src.cache.stats().bus
      if (b !== undefined) m.set({ cache: src.name }, b.pending)
    }
  })
  const queues = <L extends string>(m: Counter<L> | Gauge<L>, fn: (w: WriteBehindStats) => number) => {
    for (const src of sources.values()) {
      for (const [queue, wb] of src.writeBehind) (m as Gauge<string>).set({ cache: src.name, queue }, fn(wb.stats()))
    }
  }
  gauge('cachestack_write_behind_backlog', 'Keys waiting to reach the source.', ['cache', 'queue'], (m) =>
    queues(m, (w) => w.backlog),
  )
  gauge(
    'cachestack_write_behind_lag_seconds',
    'How long the oldest unflushed write has waited.',
    ['cache', 'queue'],
    (m) => queues(m, (w) => w.lag / 1000),
  )
  const queueCounter = (name: string, help: string, fn: (w: WriteBehindStats) => number) =>
    counter(name, help, ['cache', 'queue'], (m) => {
      for (const src of sources.values()) {
        for (const [queue, wb] of src.writeBehind) m.inc({ cache: src.name, queue }, fn(wb.stats()))
      }
    })
  queueCounter('cachestack_write_behind_writes_total', 'Writes accepted by a write-behind queue.', (w) => w.writes)
  queueCounter(
    'cachestack_write_behind_coalesced_total',
    'Writes merged into a later write of the same key.',
    (w) => w.coalesced,
  )
  queueCounter('cachestack_write_behind_flushed_total', 'Entries flushed to the source.', (w) => w.flushed)
  queueCounter('cachestack_write_behind_flush_failures_total', 'Failed flush attempts (retried).', (w) => w.failures)
  gauge('cachestack_hit_ratio', 'hits / (hits + misses) since the cache started.', ['cache', 'namespace'], (m) =>
    eachNamespace((src, namespace, c) => m.set({ cache: src.name, namespace }, c.hitRatio)),
  )
  gauge('cachestack_inflight_loads', 'Loads running now.', ['cache'], (m) => {
    for (const src of sources.values()) m.set({ cache: src.name }, src.cache.stats().inflight)
  })
  const sizes = async (m: Gauge<'cache' | 'tier'>, field: 'entries' | 'bytes') => {
    for (const src of sources.values()) {
      for (const tier of src.cache.tiers) {
        if (tier.size === undefined) continue
        try {
          const size = await tier.size()
          m.set({ cache: src.name, tier: tier.name }, size[field])
        } catch {
          // An unreachable tier has no size to report; its errors are counted elsewhere.
        }
      }
    }
  }
  gauge('cachestack_entries', 'Entries held by each tier that can tell.', ['cache', 'tier'], (m) => sizes(m, 'entries'))
  gauge('cachestack_size_bytes', 'Bytes held by each tier that can tell.', ['cache', 'tier'], (m) => sizes(m, 'bytes'))

  names.push('cachestack_load_duration_seconds', 'cachestack_tier_operation_duration_seconds')
  const loadSeconds = new Histogram({
    name: 'cachestack_load_duration_seconds',
    help: 'How long loaders that succeeded ran (on a miss or an early refresh); failures are in cachestack_load_errors_total.',
    labelNames: ['cache', 'namespace'],
    buckets,
    registers,
  })
  const tierSeconds = new Histogram({
    name: 'cachestack_tier_operation_duration_seconds',
    help: 'Calls to tiers through the fail-open wrapper (every call but the synchronous memory hit path).',
    labelNames: ['cache', 'tier', 'operation', 'outcome'],
    buckets,
    registers,
  })
  return { sources, loadSeconds, tierSeconds, names }
}

/**
 * Registers Prometheus metrics for `cache` on a prom-client registry. Serve
 * them with `registry.metrics()` on your `/metrics` route.
 *
 * Series (all labelled `cache`; base units seconds and bytes):
 * `cachestack_hits_total{namespace,tier}`, `cachestack_misses_total`, `cachestack_stale_hits_total`,
 * `cachestack_loads_total`, `cachestack_load_errors_total`, `cachestack_sets_total`, `cachestack_deletes_total`
 * (by `namespace`), `cachestack_evictions_total{tier,reason}`, `cachestack_invalidations_total`,
 * `cachestack_clears_total{namespace}`, `cachestack_tier_errors_total{tier}`,
 * `cachestack_circuit_breaker_trips_total{tier}`, `cachestack_tier_skipped_total{tier}`,
 * `cachestack_tier_timeouts_total{tier}`, `cachestack_circuit_open{tier}`, `cachestack_bus_messages_total{direction}`,
 * `cachestack_bus_errors_total`, `cachestack_bus_resyncs_total`, `cachestack_bus_pending`,
 * `cachestack_write_behind_backlog{queue}`, `cachestack_write_behind_lag_seconds{queue}`,
 * `cachestack_write_behind_writes_total`, `…_coalesced_total`, `…_flushed_total`, `…_flush_failures_total` (by `queue`,
 * for the queues given in `writeBehind`), `cachestack_hit_ratio{namespace}`,
 * `cachestack_inflight_loads`, `cachestack_entries{tier}`, `cachestack_size_bytes{tier}`,
 * `cachestack_load_duration_seconds{namespace}` and
 * `cachestack_tier_operation_duration_seconds{tier,operation,outcome}` (histograms).
 *
 * The root cache's namespace label is `""`. Counters cover the cache's whole life
 * except evictions, invalidations, clears and the histograms, which count from registration.
 *
 * @param cache - the cache (its namespaces are included)
 * @param options - `registry`, `name` (the `cache` label), `buckets`, `writeBehind`
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` when a cache of the same `name` is already on the registry
 * @example
 * ```ts
 * import { Registry } from 'prom-client'
 * import { registerMetrics } from 'cachestack/prometheus'
 *
 * const registry = new Registry()
 * registerMetrics(cache, { registry, name: 'api' })
 * app.get('/metrics', async (_req, res) => res.type(registry.contentType).send(await registry.metrics()))
 * ```
 */
export function registerMetrics(cache: Cache, options: MetricsOptions = {}): MetricsHandle {
  const registry = options.registry ?? globalRegistry
  const name = options.name ?? 'default'
  if (typeof name !== 'string' || name.length === 0) throw invalidOption('name', 'a non-empty string', name)
  const buckets = options.buckets ?? DEFAULT_BUCKETS
  if (!Array.isArray(buckets) || buckets.some((b) => typeof b !== 'number' || !(b > 0))) {
    throw invalidOption('buckets', 'an array of positive numbers (seconds)', buckets)
  }
  let family = families.get(registry)
  if (family === undefined) {
    const taken = ['cachestack_hits_total', 'cachestack_load_duration_seconds'].find((n) => registry.getSingleMetric(n))
    if (taken !== undefined) {
      throw new CacheError(
        'ERR_CACHE_INVALID_OPTION',
        `Metric ${taken} is already on this registry from another copy of cachestack: register every cache through one copy, or pass a separate "registry".`,
      )
    }
    family = createFamily(registry, buckets)
    families.set(registry, family)
  }
  if (family.sources.has(name)) {
    throw new CacheError(
      'ERR_CACHE_INVALID_OPTION',
      `A cache named "${name}" is already registered on this registry: pass a distinct "name" option for each cache.`,
    )
  }
  const fam = family
  const onLoad = (e: CacheEvents['load']) =>
    fam.loadSeconds.observe({ cache: name, namespace: e.namespace }, e.duration / 1000)
  const onTier = (e: CacheEvents['tierOp']) =>
    fam.tierSeconds.observe(
      { cache: name, tier: e.tier, operation: e.operation, outcome: e.ok ? 'ok' : 'error' },
      e.duration / 1000,
    )
  const source: Source = {
    cache,
    name,
    evictions: new Map(),
    invalidatedTags: 0,
    clears: new Map(),
    writeBehind: Object.entries(options.writeBehind ?? {}),
    stop: () => {
      cache.off('load', onLoad).off('tierOp', onTier)
      cache.off('evict', onEvict).off('invalidate', onInvalidate).off('clear', onClear)
    },
  }
  const onEvict = (e: CacheEvents['evict']) => {
    const k = `${e.tier}\u0000${e.reason}`
    source.evictions.set(k, (source.evictions.get(k) ?? 0) + 1)
  }
  const onInvalidate = (e: CacheEvents['invalidate']) => {
    source.invalidatedTags += e.tags.length
  }
  const onClear = (e: CacheEvents['clear']) => {
    source.clears.set(e.namespace, (source.clears.get(e.namespace) ?? 0) + 1)
  }
  cache.on('load', onLoad).on('tierOp', onTier)
  cache.on('evict', onEvict).on('invalidate', onInvalidate).on('clear', onClear)
  family.sources.set(name, source)
  return {
    unregister() {
      if (fam.sources.get(name) !== source) return
      source.stop()
      fam.sources.delete(name)
      if (fam.sources.size === 0) {
        for (const n of fam.names) registry.removeSingleMetric(n)
        families.delete(registry)
      }
    },
  }
}
