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
