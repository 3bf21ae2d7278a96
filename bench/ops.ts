/**
 * Question: what does watching a cache cost on its hit path? `getOrSet` hit
 * throughput of a memory-tier cache with nothing attached, with Prometheus
 * metrics registered (cachestack/prometheus), with OpenTelemetry
 * instrumentation (cachestack/otel, the API's no-op without an SDK), and with
 * the live dashboard attached (cachestack/dashboard), with its key lists
 * listening and with them off. Target: metrics ≥ 0.9×.
 *
 * Each variant runs alone in its own process, the variants taking turns for
 * several rounds: in one process, several caches sharing the hit path's code
 * and one another's garbage measured ±25% apart even when identical. Within a
 * process: 10,000 present keys read in turn, one awaited call at a time.
 */
import { execFileSync } from 'node:child_process'
import { Registry } from 'prom-client'
import { dashboard } from '../src/dashboard.js'
import { createCache, memoryStore } from '../src/index.js'
import { instrumentCache } from '../src/otel.js'
import { registerMetrics } from '../src/prometheus.js'
import { machineLine, measure, median, printTable, printTarget, type Result } from './lib/harness.js'

const VARIANTS = {
  plain: 'getOrSet, nothing attached',
  metrics: 'getOrSet, Prometheus metrics registered',
  otel: 'getOrSet, OpenTelemetry instrumented',
  'dashboard-listening': 'getOrSet, dashboard attached, key lists listening',
  'dashboard-off': 'getOrSet, dashboard attached, key lists off (keySampleRate: 0)',
} as const
type Variant = keyof typeof VARIANTS

const N = 10_000
const keys = Array.from({ length: N }, (_, i) => `product:${i}`)
const loader = () => ({ id: 1, name: 'product', price: 9.99 })

/** Child: measures one variant, prints its ops/s. */
async function child(variant: Variant): Promise<void> {
  const cache = createCache({ tiers: [memoryStore({ maxEntries: N })], ttl: '1h' })
  for (const k of keys) await cache.getOrSet(k, loader)
  let close = () => {}
  if (variant === 'metrics') registerMetrics(cache, { registry: new Registry() })
  if (variant === 'otel') instrumentCache(cache)
  if (variant === 'dashboard-listening' || variant === 'dashboard-off') {
    // The key lists listen for a share of each interval; this loop never yields to
    // timers, so with keySampleRate 1 they listen all the time: the cost while listening.
    const board = dashboard(cache, { keySampleRate: variant === 'dashboard-off' ? 0 : 1 })
    close = () => board.close()
  }
  const result = await measure(variant, (i) => cache.getOrSet(keys[i % N]!, loader), { ops: 500_000, rounds: 5 })
  close()
  process.stdout.write(JSON.stringify({ opsPerSec: result.opsPerSec }))
}

async function parent(): Promise<void> {
  console.log(`${machineLine()}\n`)
  const rounds = 5
  const runs = new Map<Variant, number[]>()
  for (let r = 0; r < rounds; r++) {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, variant], {
        encoding: 'utf8',
      })
      const list = runs.get(variant) ?? []
      list.push((JSON.parse(out) as { opsPerSec: number }).opsPerSec)
      runs.set(variant, list)
    }
  }
  const results: Result[] = (Object.keys(VARIANTS) as Variant[]).map((v) => ({
    name: VARIANTS[v],
    opsPerSec: median(runs.get(v)!),
    rounds: runs.get(v)!,
  }))
  const ratios = printTable(
    `getOrSet on a hit (10,000 keys, one awaited call at a time; ${rounds} processes per variant, medians)`,
    results,
    VARIANTS.plain,
  )
  // A scrape reads stats() once per metric: its cost, for scale.
  const cache = createCache({ tiers: [memoryStore({ maxEntries: N })] })
  const registry = new Registry()
  registerMetrics(cache, { registry })
  await registry.metrics()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < 100; i++) await registry.metrics()
  console.log(`\nPrometheus scrape of one cache: ${(Number(process.hrtime.bigint() - t0) / 100 / 1e3).toFixed(0)} µs\n`)
  printTarget('getOrSet hit with metrics vs without', ratios[VARIANTS.metrics]!, 0.9)
  printTarget('getOrSet hit with OpenTelemetry vs without', ratios[VARIANTS.otel]!, 0.9)
  for (const v of ['dashboard-listening', 'dashboard-off'] as const) {
    console.log(`- ${VARIANTS[v]} vs nothing: ${ratios[VARIANTS[v]]!.toFixed(2)}× (no target)`)
  }
}

const variant = process.argv[2] as Variant | undefined
if (variant !== undefined && variant in VARIANTS) await child(variant)
else await parent()
