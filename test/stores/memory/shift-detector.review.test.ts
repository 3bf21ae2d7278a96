import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../../src/index.js'
import { access, attach } from './helpers.js'

/** A seeded stream of draws in [0, n). */
function draws(seed: number) {
  let a = seed >>> 0
  return (n: number) => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0
    return (a >>> 8) % n
  }
}
/** 70 % of reads go to a hot set of 400 keys, the rest to 20,000 background keys; both skewed. */
function traffic(seed: number) {
  const next = draws(seed)
  return (hot: string) =>
    next(10) < 7 ? `${hot}:${Math.min(next(400), next(400))}` : `bg:${Math.min(next(20_000), next(20_000))}`
}
const held = (s: ReturnType<typeof memoryStore>, prefix: string) =>
  [...s.keys()].filter((k) => k.startsWith(prefix)).length

describe('memoryStore (tinylfu): the shift detector does not misfire', () => {
  it('a burst of new keys each written then read once (create, then view) does not retire the hot set', () => {
    const s = memoryStore({ maxEntries: 1000 })
    attach(s)
    const key = traffic(2)
    for (let i = 0; i < 50_000; i++) access(s, key('a'))
    const before = held(s, 'a:')
    // Each new key is a miss, then a hit in the window: never read again, as a scan's keys.
    for (let i = 0; i < 1_500; i++) {
      access(s, `new:${i}`)
      access(s, `new:${i}`)
    }
    expect(held(s, 'a:')).toBeGreaterThanOrEqual(before - 5)
  })
})
