/**
 * The "stampede" button: 1,000 concurrent reads of one key that is not in the
 * cache, with a loader that takes 50 ms. `getOrSet` runs the loader once and
 * gives its value to all 1,000 callers.
 */
import type { Cache } from '../../src/index.js'

/** What one stampede did. */
export interface StampedeResult {
  requests: number
  loads: number
  /** Callers that got the loaded value. */
  answered: number
  ms: number
}

let round = 0

/** Fires 1,000 concurrent `getOrSet` calls on a fresh key and counts the loader's runs. */
export async function stampede(cache: Cache, requests = 1000): Promise<StampedeResult> {
  const key = `stampede:${Date.now()}:${++round}`
  let loads = 0
  const start = performance.now()
  const values = await Promise.all(
    Array.from({ length: requests }, () =>
      cache.getOrSet(
        key,
        async () => {
          loads++
          await new Promise((r) => setTimeout(r, 50))
          return { computed: true }
        },
        { ttl: '1m' },
      ),
    ),
  )
  return {
    requests,
    loads,
    answered: values.filter((v) => v.computed).length,
    ms: Math.round(performance.now() - start),
  }
}
