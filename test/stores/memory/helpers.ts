import type { Envelope, EvictionReason } from '../../../src/index.js'
import { type MemoryStore, manualClock } from '../../../src/index.js'

/** An envelope around `value`, as the cache would write it. */
export function env(value: unknown): Envelope {
  return {
    value,
    createdAt: 0,
    freshUntil: Number.POSITIVE_INFINITY,
    staleUntil: Number.POSITIVE_INFINITY,
    tags: undefined,
    tagVersions: undefined,
    loadTime: 0,
  }
}

/** Attaches a manual clock and an eviction log to a store, as the cache would. */
export function attach(store: MemoryStore) {
  const clock = manualClock()
  const evicted: [string, EvictionReason][] = []
  store.init({ clock, onEvict: (key, reason) => evicted.push([key, reason]) })
  return { clock, evicted }
}

/** Reads `key` through the store; a miss is written back, as a cache would. Returns whether it hit. */
export function access(store: MemoryStore, key: string): boolean {
  if (store.get(key) !== undefined) return true
  store.set(key, env(key), Number.POSITIVE_INFINITY)
  return false
}

/** A seeded stream of draws in [0, n). */
export function draws(seed: number): (n: number) => number {
  let a = seed >>> 0
  return (n: number) => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0
    return (a >>> 8) % n
  }
}

/** 70 % of reads go to a hot set of 400 keys (named `${hot}:…`), the rest to 20,000 background keys; both skewed. */
export function traffic(seed: number): (hot: string) => string {
  const next = draws(seed)
  return (hot: string) =>
    next(10) < 7 ? `${hot}:${Math.min(next(400), next(400))}` : `bg:${Math.min(next(20_000), next(20_000))}`
}

/** How many keys starting with `prefix` the store holds. */
export function held(store: MemoryStore, prefix: string): number {
  return [...store.keys()].filter((k) => k.startsWith(prefix)).length
}
