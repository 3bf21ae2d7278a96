import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type MemoryPolicy, memoryStore } from '../../../src/index.js'
import { attach, env } from './helpers.js'

type Op =
  | { t: 'set'; key: number; size: number; ttl: number }
  | { t: 'get'; key: number }
  | { t: 'delete'; key: number }
  | { t: 'clear'; prefix: number }
  | { t: 'advance'; ms: number }
  | { t: 'purge' }

const key = fc.integer({ min: 0, max: 40 })
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('set' as const),
      key,
      size: fc.integer({ min: 0, max: 400 }),
      ttl: fc.integer({ min: 0, max: 5000 }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const), prefix: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'purge' as const }) },
)

const name = (k: number) => `${k % 10}:${k}`

describe.each(['tinylfu', 'lru'] as MemoryPolicy[])('memoryStore (%s): capacity under random operations', (policy) => {
  it('never holds more than maxEntries or maxBytes, and its byte count matches what it holds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 50, max: 2000 }),
        fc.array(op, { maxLength: 300 }),
        (maxEntries, maxBytes, ops) => {
          const sizeOf = (value: unknown) => (value as { size: number }).size
          const s = memoryStore({ policy, maxEntries, maxBytes, sizeOf })
          const { clock } = attach(s)
          // The model: what a key was last written with (size, expiry); the store may hold fewer.
          const written = new Map<string, { size: number; expires: number }>()
          for (const o of ops) {
            switch (o.t) {
              case 'set': {
                const k = name(o.key)
                const expires = o.ttl === 0 ? Number.POSITIVE_INFINITY : clock.now() + o.ttl
                s.set(k, env({ size: o.size, k }), expires)
                written.set(k, { size: o.size, expires })
                // A write that fits is readable right after (unless it expires at once).
                if (o.size <= maxBytes) expect(s.peek(k)?.value).toEqual({ size: o.size, k })
                else expect(s.peek(k)).toBeUndefined()
                break
              }
              case 'get': {
                const k = name(o.key)
                const got = s.get(k)
                if (got !== undefined) {
                  const w = written.get(k)!
                  expect(got.value).toEqual({ size: w.size, k })
                  expect(w.expires).toBeGreaterThan(clock.now())
                }
                break
              }
              case 'delete':
                s.delete(name(o.key))
                written.delete(name(o.key))
                break
              case 'clear':
                s.clear(`${o.prefix}:`)
                break
              case 'advance':
                clock.advance(o.ms)
                break
              case 'purge':
                s.purgeExpired()
                break
            }
            const held = [...s.keys()]
            expect(held.length).toBe(s.entries)
            expect(new Set(held).size).toBe(held.length)
            expect(s.entries).toBeLessThanOrEqual(maxEntries)
            expect(s.bytes).toBeLessThanOrEqual(maxBytes)
            let sum = 0
            for (const k of held) sum += (s.peek(k)!.value as { size: number }).size
            expect(s.bytes).toBe(sum)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('never holds more than maxEntries under a long random workload', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 500, maxLength: 3000 }),
        (maxEntries, keys) => {
          const s = memoryStore({ policy, maxEntries })
          attach(s)
          for (const k of keys) {
            if (s.get(`k${k}`) === undefined) s.set(`k${k}`, env(k), Number.POSITIVE_INFINITY)
            if (s.entries > maxEntries) return false
          }
          return [...s.keys()].length === s.entries
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('memoryStore (tinylfu): bounds hold while the hot set moves (the shift detector at work)', () => {
  // Stores of 300+ entries whose hot set moves wholesale: the shift detector retires old
  // hot sets here (checked by instrumenting it while writing this test), between writes,
  // deletes and byte-bound evictions.
  it('never holds more than maxEntries or maxBytes, and its byte count matches, across hot-set shifts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 300, max: 1000 }),
        fc.array(
          fc.record({ base: fc.integer({ min: 0, max: 100_000 }), deleteEvery: fc.integer({ min: 50, max: 400 }) }),
          {
            minLength: 2,
            maxLength: 4,
          },
        ),
        fc.integer({ min: 1, max: 1_000_000 }),
        (maxEntries, phases, seed) => {
          const maxBytes = maxEntries * 40
          const s = memoryStore({ maxEntries, maxBytes, sizeOf: (v) => (v as { size: number }).size })
          attach(s)
          let a = seed
          const next = (n: number) => {
            a = (Math.imul(a, 1664525) + 1013904223) >>> 0
            return (a >>> 8) % n
          }
          const hot = Math.floor(maxEntries * 0.4)
          const background = 20 * maxEntries
          for (const { base, deleteEvery } of phases) {
            for (let i = 0; i < 20_000; i++) {
              // 70 % to the phase's hot set, 30 % to a wide background; both skewed.
              const k =
                next(10) < 7
                  ? `h${base + Math.min(next(hot), next(hot))}`
                  : `b${Math.min(next(background), next(background))}`
              if (i % deleteEvery === 0) s.delete(k)
              else if (s.get(k) === undefined) s.set(k, env({ size: 1 + next(60) }), Number.POSITIVE_INFINITY)
              if (s.entries > maxEntries || s.bytes > maxBytes) return false
            }
            const held = [...s.keys()]
            if (held.length !== s.entries || new Set(held).size !== held.length) return false
            let sum = 0
            for (const k of held) sum += (s.peek(k)!.value as { size: number }).size
            if (sum !== s.bytes) return false
          }
          return true
        },
      ),
      { numRuns: 12 },
    )
  })
})
