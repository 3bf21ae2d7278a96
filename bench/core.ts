/**
 * Question: how fast is `getOrSet` on a hit, next to the caches people use
 * today (BentoCache's memory driver, cache-manager, cacheable) and next to the
 * floor of any async API, `await map.get(k)`?
 *
 * Every contender holds the same 10,000 keys with a TTL and is read with keys
 * cycling over them, one awaited call at a time, interleaved round by round.
 */
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { createCache as createCacheManager } from 'cache-manager'
import { Cacheable } from 'cacheable'
import { createCache, memoryStore } from '../src/index.js'
import { compare, machineLine, printTable, printTarget } from './lib/harness.js'

const N = 10_000
const keys = Array.from({ length: N }, (_, i) => `key:${i}`)
const value = { id: 1, name: 'product', price: 9.99 }
const loader = () => value

const map = new Map<string, unknown>()
const cachestack = createCache({ tiers: [memoryStore({ maxEntries: 2 * N })], ttl: '1h' })
const bento = new BentoCache({
  default: 'memory',
  stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 2 * N })) },
})
const manager = createCacheManager({ ttl: 3_600_000 })
const cacheable = new Cacheable({ ttl: '1h' })

for (const k of keys) {
  map.set(k, value)
  await cachestack.set(k, value)
  await bento.set({ key: k, value, ttl: '1h' })
  await manager.set(k, value, 3_600_000)
  await cacheable.set(k, value)
}

console.log(`${machineLine()}\n`)
const opts = { ops: 100_000, rounds: 9 }
const results = await compare(
  [
    ['await map.get (floor)', async (i) => await map.get(keys[i % N]!)],
    ['cachestack getOrSet', (i) => cachestack.getOrSet(keys[i % N]!, loader)],
    ['cachestack get', (i) => cachestack.get(keys[i % N]!)],
    ['BentoCache getOrSet (memory)', (i) => bento.getOrSet({ key: keys[i % N]!, factory: loader, ttl: '1h' })],
    ['cache-manager wrap (memory)', (i) => manager.wrap(keys[i % N]!, async () => loader(), 3_600_000)],
    ['cache-manager get (memory)', (i) => manager.get(keys[i % N]!)],
    ['cacheable getOrSet', (i) => cacheable.getOrSet(keys[i % N]!, async () => loader(), { ttl: '1h' })],
  ],
  opts,
)
const ratios = printTable('getOrSet on a hit (10,000 keys, one awaited call at a time)', results, 'cachestack getOrSet')
const ops = Object.fromEntries(results.map((r) => [r.name, r.opsPerSec]))
const cs = ops['cachestack getOrSet']!
const peers = [
  'BentoCache getOrSet (memory)',
  'cache-manager wrap (memory)',
  'cache-manager get (memory)',
  'cacheable getOrSet',
]
const fastestPeer = peers.reduce((best, name) => (ops[name]! > ops[best]! ? name : best))
console.log()
printTarget(`getOrSet hit vs the fastest peer (${fastestPeer})`, cs / ops[fastestPeer]!, 2)
printTarget('getOrSet hit vs the `await map.get` floor', cs / ops['await map.get (floor)']!, 0.6)
void ratios
await bento.disconnect()
