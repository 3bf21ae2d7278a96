/**
 * A cache with traffic and the dashboard, to look at: `npx tsx examples/ops/dashboard.ts`,
 * then open the printed URL. Two namespaces, a skewed key popularity (a few hot
 * products, a long tail), a slow "database", and Prometheus metrics on /metrics.
 */
import { createServer } from 'node:http'
import { Registry } from 'prom-client'
import { dashboard } from '../../src/dashboard.js'
import { createCache, memoryStore } from '../../src/index.js'
import { registerMetrics } from '../../src/prometheus.js'

const cache = createCache({ tiers: [memoryStore({ maxEntries: 300 })], ttl: '20s', grace: '1m' })
const products = cache.namespace('products')
const users = cache.namespace('users')
const db = (ms: number) => new Promise((r) => setTimeout(r, ms))

const registry = new Registry()
registerMetrics(cache, { registry, name: 'example' })
const board = dashboard(cache, { auth: { token: process.env.CACHE_TOKEN ?? 'change-me-please' } })
const server = createServer(async (req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics())
    return
  }
  board(req, res, () => res.writeHead(302, { location: '/_cachestack/' }).end())
})
const port = Number(process.env.PORT ?? 4747)
server.listen(port, '127.0.0.1', () => {
  console.log(
    `dashboard: http://127.0.0.1:${port}/_cachestack/  (token: ${process.env.CACHE_TOKEN ?? 'change-me-please'})`,
  )
  console.log(`metrics:   http://127.0.0.1:${port}/metrics`)
})

// Zipf-like traffic: product 0 is the hottest; ids up to 2000 make a long tail the 300-entry tier cannot hold.
const pick = (n: number) => Math.floor(n ** Math.random()) - 1
setInterval(() => {
  for (let i = 0; i < 40; i++) {
    const id = pick(2000)
    void products.getOrSet(String(id), () => db(20 + (id % 30)).then(() => ({ id, price: id * 1.5 })), {
      tags: ['products'],
    })
    void users.getOrSet(String(pick(50)), () => db(5).then(() => ({ name: 'user' })))
  }
}, 50).unref()
