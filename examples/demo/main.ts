/**
 * `npm start`: starts the catalog demo, measures a first before/after in the
 * terminal (the same requests with the cache off and on), and prints where
 * everything is. `npm run demo:load` runs the full load test.
 */
import { type Demo, startDemo } from './app.js'

async function firstLook(demo: Demo): Promise<void> {
  const ids = Array.from({ length: 200 }, (_, i) => 1 + ((i * 7) % 50))
  const run = async (label: string, query: string) => {
    const q0 = demo.db.queries
    const c0 = demo.pricing.calls
    const t0 = performance.now()
    for (let i = 0; i < ids.length; i += 20) {
      await Promise.all(
        ids.slice(i, i + 20).map((id) => fetch(`${demo.url}/api/products/${id}${query}`).then((r) => r.text())),
      )
    }
    const ms = performance.now() - t0
    return [
      label,
      `${ms.toFixed(0)} ms`,
      `${(ids.length / (ms / 1000)).toFixed(0)}/s`,
      String(demo.db.queries - q0),
      String(demo.pricing.calls - c0),
    ]
  }
  // Distinct query strings, so this first look starts cold even if the cache file is warm from a previous run.
  const salt = `&look=${Date.now()}`
  const rows = [
    await run('cache off', `?cache=off${salt}`),
    await run('cache on, cold', `?${salt.slice(1)}`),
    await run('cache on, warm', `?${salt.slice(1)}`),
  ]
  const header = ['200 product API requests (50 products)', 'time', 'requests/s', 'DB queries', 'pricing API calls']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (c: string[]) => `  ${c.map((x, i) => x.padEnd(widths[i]!)).join('   ')}`
  console.log(`${line(header)}\n${rows.map(line).join('\n')}`)
  const s = demo.cache.stats()
  console.log(`  cache: ${s.hits} hits, ${s.misses} misses, hit ratio ${(s.hitRatio * 100).toFixed(1)} %\n`)
}

let demo: Demo
try {
  demo = await startDemo({ fallbackPort: true })
} catch (err) {
  console.error(`The demo could not start: ${(err as Error).message}`)
  process.exit(1)
}
console.log(`\ncachestack demo: a product catalog on ${demo.db.kind}, with a slow external pricing API\n`)
if (demo.portNote) console.log(`  note: ${demo.portNote}\n`)
if (demo.caching && process.env.DEMO_QUIET !== '1') await firstLook(demo)
console.log(`  app        ${demo.url}/            (log in with any name, password "demo")
  dashboard  ${demo.url}/_cachestack
  metrics    ${demo.url}/metrics
  API        ${demo.url}/api/products?page=1   ${demo.url}/api/products/42   ${demo.url}/api/search?q=eco
  stats      ${demo.url}/_demo/stats
  database   ${demo.db.kind === 'sqlite' ? `SQLite file ${demo.dataDir}/catalog.db (CACHESTACK_DEMO_DIR to move it)` : 'PostgreSQL at DATABASE_URL'}
  pricing    ${demo.pricing.url} (delay ${process.env.PRICING_DELAY_MS ?? 40} ms)
  tiers      ${demo.tiers}
  compare    add ?cache=off to any page or API URL, or run: npm run demo:load
  stop       Ctrl-C
`)
const stop = async () => {
  await demo.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
