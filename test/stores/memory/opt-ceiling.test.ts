import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { beladyOpt } from '../../../src/analyze/belady.js'
import { type MemoryPolicy, memoryStore } from '../../../src/index.js'
import { access, attach } from './helpers.js'

// The hit-ratio simulator prints Belady's OPT as the ceiling every policy is judged against.
describe("bench/hit-ratio's OPT ceiling", () => {
  it('keeps what is read next and skips keys never read again', () => {
    // Size 2: a and b stay, c and d (never read again) are not stored: 3 hits of 7.
    expect(beladyOpt(['a', 'b', 'c', 'a', 'b', 'd', 'a'], 2).ratio).toBeCloseTo(3 / 7)
    // A loop one larger than the cache: OPT keeps all but one key.
    const loop = Array.from({ length: 40 }, (_, i) => `k${i % 4}`)
    expect(beladyOpt(loop, 3).ratio).toBeGreaterThan(0.6)
  })

  it('is never beaten by either policy of the memory store', () => {
    const policies: MemoryPolicy[] = ['tinylfu', 'lru']
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 12 }),
        (ids, size) => {
          const keys = ids.map((i) => `k${i}`)
          const opt = beladyOpt(keys, size).ratio
          for (const policy of policies) {
            const s = memoryStore({ policy, maxEntries: size })
            attach(s)
            let hits = 0
            for (const k of keys) if (access(s, k)) hits++
            expect(hits / keys.length).toBeLessThanOrEqual(opt + 1e-12)
          }
        },
      ),
    )
  })
})
