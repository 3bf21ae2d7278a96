import { LRUCache } from 'lru-cache'
import { memoryStore } from '../src/index.js'
import { FrequencySketch, hashKey } from '../src/stores/memory/index.js'
const N = 10_000
const keys = Array.from({ length: N }, (_, i) => `key:${i}`)
const far = Date.now() + 3_600_000
const env = { value: 1 } as any
const t = memoryStore({ maxEntries: N })
const l = memoryStore({ maxEntries: N, policy: 'lru' })
const c = new LRUCache<string, object>({ max: N, ttl: 3_600_000 })
for (const k of keys) { t.set(k, env, far); l.set(k, env, far); c.set(k, env) }
const sk = new FrequencySketch(N)
const hashes = Int32Array.from(keys, hashKey)
const m = new Map(keys.map((k, i) => [k, i]))
const OPS = 2_000_000
function A() { let x = 0; for (let i = 0; i < OPS; i++) x += m.get(keys[i % N]!)!; return x }
function B() { let x = 0; for (let i = 0; i < OPS; i++) { const j = m.get(keys[i % N]!)!; sk.increment(hashes[j]!); x += j } return x }
function C() { let x = 0; for (let i = 0; i < OPS; i++) if (l.get(keys[i % N]!) !== undefined) x++; return x }
function D() { let x = 0; for (let i = 0; i < OPS; i++) if (t.get(keys[i % N]!) !== undefined) x++; return x }
function E() { let x = 0; for (let i = 0; i < OPS; i++) if (c.get(keys[i % N]!) !== undefined) x++; return x }
const fns = { 'map': A, 'map+sketch': B, 'lru': C, 'tinylfu': D, 'lru-cache': E }
const res: Record<string, number[]> = {}
for (let r = 0; r < 7; r++) for (const [n, f] of Object.entries(fns)) {
  const t0 = process.hrtime.bigint(); f(); const ns = Number(process.hrtime.bigint() - t0) / OPS
  ;(res[n] ??= []).push(ns)
}
for (const [n, xs] of Object.entries(res)) { xs.sort((a, b) => a - b); console.log(n.padEnd(12), xs[3]!.toFixed(1), 'ns') }
