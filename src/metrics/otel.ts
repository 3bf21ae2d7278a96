/**
 * OpenTelemetry for a cache, through `@opentelemetry/api` only: with no SDK
 * installed every call is the API's no-op.
 *
 * Spans are recorded when a load or a tier call ends, with its real start and
 * end times, under the context active at that moment (through async context,
 * the caller's). The cache's hit path is not traced: a memory hit costs less
 * than a span. Counters are observable instruments read from `cache.stats()`
 * at collection time, so they too cost nothing per hit.
 * @module
 */
import {
  type Attributes,
  context,
  type Meter,
  metrics,
  type ObservableResult,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import type { Cache } from '../core/cache.js'
import type { CacheEvents } from '../core/events.js'
import type { CounterSnapshot } from '../core/stats.js'

/** Options of {@link instrumentCache}. */
export interface OtelOptions {
  /** The tracer spans go to. @defaultValue `trace.getTracer('cachestack')` from the global provider */
  tracer?: Tracer
  /** The meter instruments are created on. @defaultValue `metrics.getMeter('cachestack')` from the global provider */
  meter?: Meter
  /** The `cachestack.cache` attribute on every span and point. @defaultValue `'default'` */
  name?: string
  /**
   * Put the cache key on load spans (`cachestack.key`). Off by default: keys
   * can carry user ids or e-mail addresses.
   * @defaultValue false
   */
  recordKeys?: boolean
  /** Trace tier calls (below the synchronous memory tier). @defaultValue true */
  tierSpans?: boolean
}

/** What {@link instrumentCache} returns. */
export interface OtelHandle {
  /** Stops tracing and removes the observable callbacks. */
  uninstrument(): void
}

/** `db.system.name` values (OpenTelemetry database semantic conventions) for tiers that are databases. */
const DB_SYSTEMS: Record<string, string> = { redis: 'redis', sqlite: 'sqlite', memcached: 'memcached' }

const OBSERVED: readonly [string, keyof CounterSnapshot, string][] = [
  ['cachestack.misses', 'misses', 'Reads that found no fresh value'],
  ['cachestack.stale_hits', 'staleHits', 'Stale values served within grace'],
  ['cachestack.loads', 'loads', 'Loader runs that completed'],
  ['cachestack.load_errors', 'loadErrors', 'Loader runs that failed'],
  ['cachestack.evictions', 'evictions', 'Entries a tier dropped for capacity'],
  ['cachestack.expirations', 'expirations', 'Entries a tier dropped because they expired'],
]

/**
 * Traces loads and tier calls, and reports the cache's counters as OpenTelemetry metrics.
 *
 * Spans: `cachestack.load` (attributes `cachestack.cache`, `cachestack.namespace`,
 * `cachestack.key` when `recordKeys`; status ERROR with `error.type` when the loader failed) and
 * `cachestack.<tier> <operation>` (kind CLIENT; `db.system.name` and `db.operation.name` for
 * Redis, SQLite and Memcached tiers, `cachestack.tier` always).
 *
 * Metrics (observable, read from `stats()`): `cachestack.hits` (by `cachestack.namespace` and
 * `cachestack.tier`), `cachestack.misses`, `cachestack.stale_hits`, `cachestack.loads`,
 * `cachestack.load_errors`, `cachestack.evictions`, `cachestack.expirations`, `cachestack.tier_errors`,
 * the gauge `cachestack.hit_ratio`, and the histogram `cachestack.load.duration` (seconds).
 *
 * @param cache - the cache (its namespaces are included)
 * @param options - `tracer`, `meter`, `name`, `recordKeys`, `tierSpans`
 * @example
 * ```ts
 * import { instrumentCache } from 'cachestack/otel'
 * instrumentCache(cache, { name: 'api' }) // uses the global tracer and meter providers your SDK registered
 * ```
 */
export function instrumentCache(cache: Cache, options: OtelOptions = {}): OtelHandle {
  const tracer = options.tracer ?? trace.getTracer('cachestack')
  const meter = options.meter ?? metrics.getMeter('cachestack')
  const name = options.name ?? 'default'
  const recordKeys = options.recordKeys === true

  const loadSpan = (e: CacheEvents['load'] | CacheEvents['loadError'], error: unknown) => {
    const end = Date.now()
    const attributes: Attributes = { 'cachestack.cache': name, 'cachestack.namespace': e.namespace }
    if (recordKeys) attributes['cachestack.key'] = e.key
    const span = tracer.startSpan(
      'cachestack.load',
      { kind: SpanKind.INTERNAL, startTime: end - e.duration, attributes },
      context.active(),
    )
    if (error !== undefined) {
      span.setAttribute('error.type', error instanceof Error ? error.name : typeof error)
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
    }
    span.end(end)
  }
  const loadSeconds = meter.createHistogram('cachestack.load.duration', {
    description: 'How long loaders ran',
    unit: 's',
  })
  const onLoad = (e: CacheEvents['load']) => {
    loadSpan(e, undefined)
    loadSeconds.record(e.duration / 1000, { 'cachestack.cache': name, 'cachestack.namespace': e.namespace })
  }
  const onLoadError = (e: CacheEvents['loadError']) => {
    loadSpan(e, e.error ?? new Error('loader failed'))
    loadSeconds.record(e.duration / 1000, {
      'cachestack.cache': name,
      'cachestack.namespace': e.namespace,
      'error.type': e.error instanceof Error ? e.error.name : typeof e.error,
    })
  }
  const onTier = (e: CacheEvents['tierOp']) => {
    const end = Date.now()
    const attributes: Attributes = { 'cachestack.cache': name, 'cachestack.tier': e.tier }
    const system = DB_SYSTEMS[e.tier]
    if (system !== undefined) {
      attributes['db.system.name'] = system
      attributes['db.operation.name'] = e.operation
    }
    const span = tracer.startSpan(
      `cachestack.${e.tier} ${e.operation}`,
      { kind: SpanKind.CLIENT, startTime: end - e.duration, attributes },
      context.active(),
    )
    if (!e.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: `${e.tier} ${e.operation} failed` })
    span.end(end)
  }
  cache.on('load', onLoad).on('loadError', onLoadError)
  if (options.tierSpans !== false) cache.on('tierOp', onTier)

  const eachNamespace = (fn: (ns: string, c: CounterSnapshot) => void) => {
    for (const [ns, c] of Object.entries(cache.stats().namespaces)) fn(ns, c)
  }
  const hits = meter.createObservableCounter('cachestack.hits', { description: 'Fresh values served, by tier' })
  const hitsCb = (r: ObservableResult) =>
    eachNamespace((ns, c) =>
      c.tierHits.forEach((n, i) => {
        const tier = cache.tiers[i]?.name ?? String(i)
        r.observe(n, { 'cachestack.cache': name, 'cachestack.namespace': ns, 'cachestack.tier': tier })
      }),
    )
  hits.addCallback(hitsCb)
  const observed = OBSERVED.map(([metric, field, description]) => {
    const counter = meter.createObservableCounter(metric, { description })
    const cb = (r: ObservableResult) =>
      eachNamespace((ns, c) => r.observe(c[field] as number, { 'cachestack.cache': name, 'cachestack.namespace': ns }))
    counter.addCallback(cb)
    return () => counter.removeCallback(cb)
  })
  const tierErrors = meter.createObservableCounter('cachestack.tier_errors', {
    description: 'Tier calls that failed and were skipped',
  })
  const tierErrorsCb = (r: ObservableResult) => {
    for (const [tier, n] of Object.entries(cache.stats().tierErrors)) {
      r.observe(n, { 'cachestack.cache': name, 'cachestack.tier': tier })
    }
  }
  tierErrors.addCallback(tierErrorsCb)
  const ratio = meter.createObservableGauge('cachestack.hit_ratio', { description: 'hits / (hits + misses)' })
  const ratioCb = (r: ObservableResult) =>
    eachNamespace((ns, c) => r.observe(c.hitRatio, { 'cachestack.cache': name, 'cachestack.namespace': ns }))
  ratio.addCallback(ratioCb)

  return {
    uninstrument() {
      cache.off('load', onLoad).off('loadError', onLoadError).off('tierOp', onTier)
      hits.removeCallback(hitsCb)
      for (const stop of observed) stop()
      tierErrors.removeCallback(tierErrorsCb)
      ratio.removeCallback(ratioCb)
    },
  }
}
