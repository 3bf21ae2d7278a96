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
  const rows = [await run('cache off', '?cache=off'), await run('cache on, cold', ''), await run('cache on, warm', '')]
  const header = ['200 product requests (50 products)', 'time', 'requests/s', 'DB queries', 'pricing API calls']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (c: string[]) => `  ${c.map((x, i) => x.padEnd(widths[i]!)).join('   ')}`
  console.log(`${line(header)}\n${rows.map(line).join('\n')}`)
  const s = demo.cache.stats()
  console.log(`  cache: ${s.hits} hits, ${s.misses} misses, hit ratio ${(s.hitRatio * 100).toFixed(1)} %\n`)
}

const demo = await startDemo().catch((err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE') throw err
  console.error(`Port ${process.env.PORT ?? 3000} is in use: start the demo on another one, e.g. PORT=3001 npm start`)
  process.exit(1)
})
console.log(`\ncachestack demo: a product catalog on ${demo.db.kind}, with a slow external pricing API\n`)
if (process.env.CACHE !== 'off' && process.env.DEMO_QUIET !== '1') await firstLook(demo)
console.log(`  app        ${demo.url}/
  API        ${demo.url}/api/products?page=1   ${demo.url}/api/products/42   ${demo.url}/api/search?q=eco
  stats      ${demo.url}/_demo/stats
  database   ${demo.db.kind}   pricing service ${demo.pricing.url} (delay ${process.env.PRICING_DELAY_MS ?? 40} ms)
  tiers      ${demo.tiers}
  compare    add ?cache=off to any URL, or run: npm run demo:load
  stop       Ctrl-C
`)
const stop = async () => {
  await demo.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
