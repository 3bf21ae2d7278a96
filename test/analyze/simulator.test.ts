/**
 * The simulator's LRU and OPT hit exactly as textbook implementations do, on
 * many small random traces; its W-TinyLFU is the memory tier itself and never
 * beats the ceiling.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defaultSizes, keyIds, simulate, summarize } from '../../src/analyze.js'

/** Textbook LRU: a Map in recency order. */
function referenceLru(keys: readonly string[], size: number): number {
  const held = new Map<string, true>()
  let hits = 0
  for (const k of keys) {
    if (held.has(k)) {
      hits++
      held.delete(k)
      held.set(k, true)
      continue
    }
    if (held.size >= size) held.delete(held.keys().next().value!)
    held.set(k, true)
  }
  return hits
}

/** Textbook Belady with bypass, by scanning the future at each miss (quadratic: small traces only). */
function referenceOpt(keys: readonly string[], size: number): number {
  const held = new Set<string>()
  let hits = 0
  const nextUse = (k: string, from: number) => {
    for (let j = from; j < keys.length; j++) if (keys[j] === k) return j
    return Number.POSITIVE_INFINITY
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    if (held.has(k)) {
      hits++
      continue
    }
    const mine = nextUse(k, i + 1)
    if (mine === Number.POSITIVE_INFINITY) continue
    if (held.size < size) {
      held.add(k)
      continue
    }
    let victim: string | undefined
    let furthest = -1
    for (const h of held) {
      const u = nextUse(h, i + 1)
      if (u > furthest) {
        furthest = u
        victim = h
      }
    }
    if (furthest > mine) {
      held.delete(victim!)
      held.add(k)
    }
  }
  return hits
}

const traces = fc.array(
  fc.integer({ min: 0, max: 11 }).map((n) => `k${n}`),
  { minLength: 0, maxLength: 160 },
)

describe('simulate', () => {
  it('LRU matches the reference exactly', () => {
    fc.assert(
      fc.property(traces, fc.integer({ min: 1, max: 8 }), (keys, size) => {
        const { ids, distinct } = keyIds(keys)
        const r = simulate(ids, Math.max(distinct, 1), { sizes: [size], policies: ['lru'] })
        expect(Math.round(r.curves[0]!.ratios[0]! * keys.length)).toBe(referenceLru(keys, size))
      }),
      { numRuns: 300 },
    )
  })

  it('OPT matches the reference exactly', () => {
    fc.assert(
      fc.property(traces, fc.integer({ min: 1, max: 8 }), (keys, size) => {
        const { ids, distinct } = keyIds(keys)
        const r = simulate(ids, Math.max(distinct, 1), { sizes: [size], policies: ['opt'] })
        expect(Math.round(r.curves[0]!.ratios[0]! * keys.length)).toBe(referenceOpt(keys, size))
      }),
      { numRuns: 300 },
    )
  })

  it('a hand-checked trace: LRU 1 hit, OPT 5, ceiling 6 of 9', () => {
    const keys = ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'a']
    const { ids, distinct } = keyIds(keys)
    const r = simulate(ids, distinct, { sizes: [2] })
    const hits = (p: string) => Math.round(r.curves.find((c) => c.policy === p)!.ratios[0]! * keys.length)
    // LRU cycles a b c through two slots: every read misses until the tail, where "a b a" gives 1 hit (a).
    expect(hits('lru')).toBe(referenceLru(keys, 2))
    expect(hits('lru')).toBe(1)
    // OPT keeps a and b and bypasses c: hits at a, b, a, b, a (every re-read but c's).
    expect(hits('opt')).toBe(5)
    expect(r.ceiling).toBeCloseTo(6 / 9)
  })

  it("W-TinyLFU (the memory tier's) never passes OPT, and the curves rise with size", () => {
    fc.assert(
      fc.property(traces, (keys) => {
        const { ids, distinct } = keyIds(keys)
        if (distinct === 0) return
        const r = simulate(ids, distinct, { sizes: [1, 2, 4, 8] })
        const opt = r.curves.find((c) => c.policy === 'opt')!.ratios
        for (const c of r.curves) {
          c.ratios.forEach((x, i) => {
            expect(x).toBeLessThanOrEqual(opt[i]! + 1e-12)
          })
        }
        opt.forEach((x, i) => {
          if (i > 0) expect(x).toBeGreaterThanOrEqual(opt[i - 1]!)
        })
      }),
      { numRuns: 100 },
    )
  })

  it('scales sizes by the sample rate of a sampled trace', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i % 100}`)
    const { ids, distinct } = keyIds(keys)
    // Half the keys recorded: a 200-entry cache holds them all, as a 100-entry one does unsampled.
    const sampled = simulate(ids, distinct, { sizes: [200], policies: ['lru'], sampleRate: 0.5 })
    const plain = simulate(ids, distinct, { sizes: [100], policies: ['lru'] })
    expect(sampled.curves[0]!.ratios).toEqual(plain.curves[0]!.ratios)
  })

  it('sums it up in a sentence, and picks default sizes from the key count', () => {
    expect(defaultSizes(100_000)).toEqual([100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000])
    expect(defaultSizes(3)).toEqual([1, 2, 3])
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i % 10}`)
    const { ids, distinct } = keyIds(keys)
    const text = summarize(simulate(ids, distinct, { sizes: [5, 10] }))
    expect(text).toMatch(/^An L1 of 10 entries \(tinylfu\) gets a 99\.0 % hit ratio: 100\.0 % of what is possible/)
  })
})
