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
