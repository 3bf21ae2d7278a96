/**
 * Question: is the memory tier as fast as lru-cache, the reference in-process
 * LRU, at what both do — a `get` that hits, and a `set` that evicts?
 *
 * Both hold up to 10,000 entries. Gets cycle over 10,000 present keys with a
 * TTL (so the expiry check is paid); sets write 100,000 distinct keys into the
 * 10,000 slots, so nine in ten evict. A plain Map is printed as the ceiling for
 * gets (no recency bookkeeping, no expiry) and for sets (no bound at all).
 */
import { LRUCache } from 'lru-cache'
import type { Envelope } from '../src/core/envelope.js'
import { memoryStore } from '../src/index.js'
import { compare, machineLine, printTable, printTarget } from './lib/harness.js'

const N = 10_000
const keys = Array.from({ length: N }, (_, i) => `key:${i}`)
const writeKeys = Array.from({ length: 10 * N }, (_, i) => `w:${i}`)
const value = { id: 1, name: 'product', price: 9.99 }
const ttl = 3_600_000
const far = Date.now() + ttl
// The store keeps envelopes; one shared envelope keeps the set loop about the store, not allocation.
const env = { value, createdAt: Date.now(), freshUntil: far, staleUntil: far } as unknown as Envelope

const map = new Map<string, unknown>()
const store = memoryStore({ maxEntries: N })
const lru = new LRUCache<string, object>({ max: N, ttl, ttlAutopurge: false })
for (const k of keys) {
  map.set(k, value)
  store.set(k, env, far)
  lru.set(k, value)
}

console.log(`${machineLine()}\n`)
const gets = await compare(
  [
    ['Map get (ceiling)', (i) => map.get(keys[i % N]!)],
    ['cachestack memoryStore get', (i) => store.get(keys[i % N]!)],
    ['lru-cache get (ttl)', (i) => lru.get(keys[i % N]!)],
  ],
  { ops: 1_000_000, rounds: 9 },
)
const getRatios = printTable('get on a hit (10,000 keys, all present, with a TTL)', gets, 'lru-cache get (ttl)')

const wmap = new Map<string, unknown>()
const wstore = memoryStore({ maxEntries: N })
const wlru = new LRUCache<string, object>({ max: N, ttl, ttlAutopurge: false })
const W = writeKeys.length
const sets = await compare(
  [
    ['Map set (ceiling, unbounded)', (i) => wmap.set(writeKeys[i % W]!, value)],
    ['cachestack memoryStore set', (i) => wstore.set(writeKeys[i % W]!, env, far)],
    ['lru-cache set (ttl)', (i) => wlru.set(writeKeys[i % W]!, value)],
  ],
  { ops: 500_000, rounds: 9 },
)
const setRatios = printTable('set with eviction (100,000 keys into 10,000 slots)', sets, 'lru-cache set (ttl)')
console.log()
printTarget('memory tier get vs lru-cache get', getRatios['cachestack memoryStore get']!, 0.9)
console.log(`- memory tier set vs lru-cache set: ${setRatios['cachestack memoryStore set']!.toFixed(2)}× (no target)`)
