/**
 * The load a scenario puts on a cache while a fault is on: `getOrSet` calls
 * on keys that miss every tier (the worst case: each one reads the remote
 * tier, loads, and writes), a few at a time, each timed.
 * @module
 */
import type { Cache } from '../../src/index.js'

export interface Outcome {
  requests: number
  failed: number
  /** Durations of the calls, milliseconds. */
  durations: number[]
}

/** Runs `requests` getOrSet calls, `concurrency` at a time, on fresh keys under `prefix`. */
export async function missLoad(cache: Cache, prefix: string, requests = 60, concurrency = 6): Promise<Outcome> {
  const durations: number[] = []
  let failed = 0
  let next = 0
  const worker = async () => {
    while (next < requests) {
      const i = next++
      const start = performance.now()
      try {
        const v = await cache.getOrSet(`${prefix}:${i}`, () => i)
        if (v !== i) failed++
      } catch {
        failed++
      }
      durations.push(performance.now() - start)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { requests, failed, durations }
}

/** Polls `check` every 20 ms until it is true; resolves the milliseconds it took (or `Infinity` after `limit`). */
export async function timeUntil(check: () => Promise<boolean>, limit = 30_000): Promise<number> {
  const start = performance.now()
  while (performance.now() - start < limit) {
    if (await check().catch(() => false)) return performance.now() - start
    await new Promise((r) => setTimeout(r, 20))
  }
  return Number.POSITIVE_INFINITY
}
