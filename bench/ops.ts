/**
 * Question: what does watching a cache cost on its hit path? `getOrSet` hit
 * throughput of the same memory-tier cache with nothing attached, with
 * Prometheus metrics registered (cachestack/prometheus), with OpenTelemetry
 * instrumentation (cachestack/otel, the API's no-op without an SDK), and with
 * the live dashboard attached (cachestack/dashboard, which samples hits for
 * its hottest-keys list), measured in the same run. Target: metrics ≥ 0.9×.
 *
 * Each contender has its own cache of 10,000 present keys, read in turn, one
 * awaited call at a time.
 */
import { Registry } from 'prom-client'
import { dashboard } from '../src/dashboard.js'
import { createCache, memoryStore } from '../src/index.js'
import { instrumentCache } from '../src/otel.js'
import { registerMetrics } from '../src/prometheus.js'
import { compare, machineLine, printTable, printTarget } from './lib/harness.js'

const N = 10_000
const keys = Array.from({ length: N }, (_, i) => `product:${i}`)
const loader = () => ({ id: 1, name: 'product', price: 9.99 })

async function filled() {
  const cache = createCache({ tiers: [memoryStore({ maxEntries: N })], ttl: '1h' })
  for (const k of keys) await cache.getOrSet(k, loader)
  return cache
}

const plain = await filled()
const withMetrics = await filled()
const registry = new Registry()
registerMetrics(withMetrics, { registry })
const withOtel = await filled()
instrumentCache(withOtel)
const withDashboard = await filled()
const board = dashboard(withDashboard)

console.log(`${machineLine()}\n`)
const results = await compare(
  [
    ['getOrSet, nothing attached', (i) => plain.getOrSet(keys[i % N]!, loader)],
    ['getOrSet, Prometheus metrics registered', (i) => withMetrics.getOrSet(keys[i % N]!, loader)],
    ['getOrSet, OpenTelemetry instrumented', (i) => withOtel.getOrSet(keys[i % N]!, loader)],
    ['getOrSet, dashboard attached (25% key sampling)', (i) => withDashboard.getOrSet(keys[i % N]!, loader)],
  ],
  { ops: 500_000, rounds: 9 },
)
const ratios = printTable(
  'getOrSet on a hit (10,000 keys, one awaited call at a time)',
  results,
  'getOrSet, nothing attached',
)
// A scrape reads stats() once per metric: its cost, for scale.
const t0 = process.hrtime.bigint()
for (let i = 0; i < 100; i++) await registry.metrics()
console.log(`\nPrometheus scrape of one cache: ${(Number(process.hrtime.bigint() - t0) / 100 / 1e3).toFixed(0)} µs`)
console.log()
printTarget('getOrSet hit with metrics vs without', ratios['getOrSet, Prometheus metrics registered']!, 0.9)
printTarget('getOrSet hit with OpenTelemetry vs without', ratios['getOrSet, OpenTelemetry instrumented']!, 0.9)
console.log(
  `- getOrSet hit with the dashboard attached vs without: ${ratios['getOrSet, dashboard attached (25% key sampling)']!.toFixed(2)}× (no target)`,
)
board.close()
