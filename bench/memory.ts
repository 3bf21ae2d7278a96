/**
 * Question: is the memory tier as fast as lru-cache, the reference in-process
 * LRU, at what both do — a `get` that hits, and a `set` that evicts — with
 * either policy (`'tinylfu'`, the default, and `'lru'`)? And does it hold a
 * million small entries in about as much memory?
 *
 * Both hold up to 10,000 entries. Gets read 10,000 present keys with a TTL (so
 * the expiry check is paid), once in a cycle (every key equally often) and once
 * with Zipf(0.9) popularity (a few keys often, most rarely, as caches see); sets write 100,000 distinct keys into the
 * 10,000 slots, so nine in ten evict (the memory tier weighs every value, so
 * lru-cache is also measured weighing with the same estimate). A plain Map is printed as the ceiling for
 * gets (no recency bookkeeping, no expiry) and for sets (no bound at all).
 * Memory: heap plus typed-array backing stores, measured after a GC around the
 * filling of 1,000,000 entries (shared value; keys are the only per-entry data).
 */
import { LRUCache } from 'lru-cache'
import type { Envelope } from '../src/core/envelope.js'
import { estimateSize, memoryStore } from '../src/index.js'
import { compare, machineLine, printTable, printTarget } from './lib/harness.js'
import { random, zipf } from './lib/traces.js'

const N = 10_000
const keys = Array.from({ length: N }, (_, i) => `key:${i}`)
const writeKeys = Array.from({ length: 10 * N }, (_, i) => `w:${i}`)
const value = { id: 1, name: 'product', price: 9.99 }
const ttl = 3_600_000
const far = Date.now() + ttl
// The store keeps envelopes; one shared envelope keeps the set loop about the store, not allocation.
const env = { value, createdAt: Date.now(), freshUntil: far, staleUntil: far } as unknown as Envelope

const map = new Map<string, unknown>()
const tinylfu = memoryStore({ maxEntries: N })
const lruStore = memoryStore({ maxEntries: N, policy: 'lru' })
const lru = new LRUCache<string, object>({ max: N, ttl, ttlAutopurge: false })
for (const k of keys) {
  map.set(k, value)
  tinylfu.set(k, env, far)
  lruStore.set(k, env, far)
  lru.set(k, value)
}

console.log(`${machineLine()}\n`)
const gets = await compare(
  [
    ['Map get (ceiling)', (i) => map.get(keys[i % N]!)],
    ['cachestack get (tinylfu)', (i) => tinylfu.get(keys[i % N]!)],
    ['cachestack get (lru)', (i) => lruStore.get(keys[i % N]!)],
    ['lru-cache get (ttl)', (i) => lru.get(keys[i % N]!)],
  ],
  { ops: 1_000_000, rounds: 9 },
)
const getRatios = printTable(
  'get on a hit, keys in a cycle (10,000 keys, all present, with a TTL)',
  gets,
  'lru-cache get (ttl)',
)

// The cycle reads every key equally often: for a segmented LRU the worst case, since every
// hit then promotes an entry from probation and demotes another. Real traffic is skewed.
const Z = 1 << 16
const draw = zipf(N, 0.9, random(7))
const zipfKeys = Array.from({ length: Z }, () => keys[draw()]!)
const zgets = await compare(
  [
    ['Map get (ceiling)', (i) => map.get(zipfKeys[i & (Z - 1)]!)],
    ['cachestack get (tinylfu)', (i) => tinylfu.get(zipfKeys[i & (Z - 1)]!)],
    ['cachestack get (lru)', (i) => lruStore.get(zipfKeys[i & (Z - 1)]!)],
    ['lru-cache get (ttl)', (i) => lru.get(zipfKeys[i & (Z - 1)]!)],
  ],
  { ops: 1_000_000, rounds: 9 },
)
const zipfRatios = printTable(
  'get on a hit, Zipf(0.9) key popularity (10,000 keys, all present, with a TTL)',
  zgets,
  'lru-cache get (ttl)',
)

const wmap = new Map<string, unknown>()
const wtinylfu = memoryStore({ maxEntries: N })
const wlruStore = memoryStore({ maxEntries: N, policy: 'lru' })
const wlru = new LRUCache<string, object>({ max: N, ttl, ttlAutopurge: false })
// The memory tier always weighs what it holds (maxBytes defaults to '256mb'): lru-cache doing the same.
const wlruSized = new LRUCache<string, object>({
  max: N,
  ttl,
  ttlAutopurge: false,
  maxSize: 256 * 1024 * 1024,
  sizeCalculation: (v, k) => estimateSize(v) + 16 + k.length * 2,
})
const W = writeKeys.length
const sets = await compare(
  [
    ['Map set (ceiling, unbounded)', (i) => wmap.set(writeKeys[i % W]!, value)],
    ['cachestack set (tinylfu)', (i) => wtinylfu.set(writeKeys[i % W]!, env, far)],
    ['cachestack set (lru)', (i) => wlruStore.set(writeKeys[i % W]!, env, far)],
    ['lru-cache set (ttl)', (i) => wlru.set(writeKeys[i % W]!, value)],
    ['lru-cache set (ttl, maxSize + estimateSize)', (i) => wlruSized.set(writeKeys[i % W]!, value)],
  ],
  { ops: 500_000, rounds: 9 },
)
const setRatios = printTable('set with eviction (100,000 keys into 10,000 slots)', sets, 'lru-cache set (ttl)')

// Bytes per entry: each contender filled with a million entries in turn, GC before and after.
const gc = (globalThis as { gc?: () => void }).gc
const M = 1_000_000
function used(): number {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
function bytesPerEntry(fill: () => unknown): number | undefined {
  if (gc === undefined) return undefined
  gc()
  gc()
  const before = used()
  const held = fill()
  gc()
  gc()
  const after = used()
  if (held === undefined) throw new Error('unreachable')
  return (after - before) / M
}
const memKey = (i: number) => `user:${i.toString(36)}`
const memRows: [string, number | undefined][] = [
  [
    'Map (no bound)',
    bytesPerEntry(() => {
      const m = new Map<string, unknown>()
      for (let i = 0; i < M; i++) m.set(memKey(i), env)
      return m
    }),
  ],
  [
    'cachestack (tinylfu)',
    bytesPerEntry(() => {
      const s = memoryStore({ maxEntries: M })
      for (let i = 0; i < M; i++) s.set(memKey(i), env, far)
      return s
    }),
  ],
  [
    'cachestack (lru)',
    bytesPerEntry(() => {
      const s = memoryStore({ maxEntries: M, policy: 'lru' })
      for (let i = 0; i < M; i++) s.set(memKey(i), env, far)
      return s
    }),
  ],
  [
    'lru-cache (ttl)',
    bytesPerEntry(() => {
      const c = new LRUCache<string, object>({ max: M, ttl, ttlAutopurge: false })
      for (let i = 0; i < M; i++) c.set(memKey(i), env)
      return c
    }),
  ],
  [
    'lru-cache (no ttl)',
    bytesPerEntry(() => {
      const c = new LRUCache<string, object>({ max: M })
      for (let i = 0; i < M; i++) c.set(memKey(i), env)
      return c
    }),
  ],
]
const memBase = memRows.find(([n]) => n === 'lru-cache (ttl)')![1]
console.log('\n### bytes per entry (1,000,000 entries, heap + typed arrays)\n')
if (memBase === undefined) {
  console.log('(run with --expose-gc, as `npm run bench` does, to measure memory)')
} else {
  console.log('| contender | bytes per entry | vs lru-cache (ttl) |')
  console.log('|---|---|---|')
  for (const [name, b] of memRows) console.log(`| ${name} | ${b!.toFixed(1)} | ${(b! / memBase).toFixed(2)}× |`)
}

console.log()
printTarget('tinylfu get vs lru-cache get (Zipf popularity)', zipfRatios['cachestack get (tinylfu)']!, 0.8)
printTarget('tinylfu get vs lru-cache get (cycle, every hit a promotion)', getRatios['cachestack get (tinylfu)']!, 0.8)
printTarget('lru get vs lru-cache get (cycle)', getRatios['cachestack get (lru)']!, 0.9)
printTarget('lru get vs lru-cache get (Zipf popularity)', zipfRatios['cachestack get (lru)']!, 0.9)
printTarget('tinylfu set with eviction vs lru-cache set', setRatios['cachestack set (tinylfu)']!, 0.7)
console.log(`- lru set with eviction vs lru-cache set: ${setRatios['cachestack set (lru)']!.toFixed(2)}× (no target)`)
if (memBase !== undefined) {
  const t = memRows.find(([n]) => n === 'cachestack (tinylfu)')![1]!
  const ok = t / memBase <= 1.3
  console.log(
    `- target tinylfu bytes per entry within 1.3× of lru-cache's: ${(t / memBase).toFixed(2)}× ${ok ? 'MET' : 'NOT MET'}`,
  )
}
