/**
 * The runnable example `npm start` shows until the full demo lands: hits and
 * misses, a stampede absorbed, grace when the source fails, a tag
 * invalidation, with the numbers printed from the run.
 */
import { createCache, manualClock, memoryStore } from '../src/index.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// A "database" that takes 50 ms per query and counts its queries.
let queries = 0
let databaseDown = false
async function findProduct(id: number): Promise<{ id: number; name: string; price: number }> {
  queries++
  await sleep(50)
  if (databaseDown) throw new Error('database unavailable')
  return { id, name: `Product ${id}`, price: 10 + id }
}

// A hand-moved clock lets step 3 jump past the TTL without waiting for it.
const clock = manualClock(Date.now())
const cache = createCache({
  tiers: [memoryStore({ maxEntries: 10_000, maxBytes: '64mb' })],
  ttl: '5m',
  grace: '1h',
  clock,
})
const line = (label: string, value: string | number) => console.log(`  ${label.padEnd(44)} ${value}`)

console.log('\ncachestack quickstart\n')

// 1. Misses then hits.
let t = performance.now()
for (let id = 1; id <= 20; id++) await cache.getOrSet(`product:${id}`, () => findProduct(id), { tags: ['products'] })
const coldMs = performance.now() - t
t = performance.now()
for (let round = 0; round < 1000; round++) {
  for (let id = 1; id <= 20; id++) await cache.getOrSet(`product:${id}`, () => findProduct(id), { tags: ['products'] })
}
const warmMs = performance.now() - t
console.log('1. Cache-aside: 20 products, then 20,000 reads of them')
line('cold: 20 reads', `${coldMs.toFixed(0)} ms, ${queries} queries`)
line('warm: 20,000 reads', `${warmMs.toFixed(1)} ms, ${queries - 20} more queries`)

// 2. A stampede: 1,000 concurrent requests for one key that is not cached.
const before = queries
t = performance.now()
await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet('product:999', () => findProduct(999))))
console.log('\n2. Stampede: 1,000 concurrent misses of one key')
line('database queries', queries - before)
line('time for all 1,000', `${(performance.now() - t).toFixed(0)} ms`)

// 3. Grace: the 5-minute TTL has passed and the database is down; stale data is served.
clock.advance('6m')
databaseDown = true
const served = await cache.getOrSet('product:1', () => findProduct(1))
databaseDown = false
console.log('\n3. Grace: TTL passed, database down')
line('served', `${served.name} at ${served.price} (stale, within grace)`)

// 4. Tag invalidation: one call invalidates every product, O(1).
const q = queries
await cache.invalidateTags(['products'])
for (let id = 1; id <= 20; id++) await cache.getOrSet(`product:${id}`, () => findProduct(id), { tags: ['products'] })
console.log("\n4. invalidateTags(['products']) then 20 reads")
line('database queries (all reloaded)', queries - q)

const s = cache.stats()
console.log('\nStats')
line('hits / misses / stale hits', `${s.hits} / ${s.misses} / ${s.staleHits}`)
line('loads / load errors', `${s.loads} / ${s.loadErrors}`)
line('hit ratio', `${(s.hitRatio * 100).toFixed(2)} %`)
console.log()
await cache.close()
