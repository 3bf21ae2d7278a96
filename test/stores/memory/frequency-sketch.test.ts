import { describe, expect, it } from 'vitest'
import { FrequencySketch, hashKey } from '../../../src/stores/memory/index.js'

describe('FrequencySketch', () => {
  it('counts accesses and saturates at 15', () => {
    const sketch = new FrequencySketch(1000)
    const h = hashKey('user:1')
    expect(sketch.frequency(h)).toBe(0)
    for (let i = 1; i <= 20; i++) {
      sketch.increment(h)
      expect(sketch.frequency(h)).toBe(Math.min(i, 15))
    }
  })

  it('tells hot keys from cold ones among many', () => {
    const sketch = new FrequencySketch(1000)
    for (let i = 0; i < 500; i++) {
      for (let j = 0; j < 8; j++) sketch.increment(hashKey(`hot:${i}`))
      sketch.increment(hashKey(`cold:${i}`))
    }
    let misjudged = 0
    for (let i = 0; i < 500; i++) {
      if (sketch.frequency(hashKey(`hot:${i}`)) <= sketch.frequency(hashKey(`cold:${i}`))) misjudged++
    }
    expect(misjudged).toBeLessThan(5)
  })

  it('ages: after 10 × capacity accesses every count is halved', () => {
    const capacity = 100
    const sketch = new FrequencySketch(capacity)
    const hot = hashKey('hot')
    for (let i = 0; i < 12; i++) sketch.increment(hot)
    expect(sketch.frequency(hot)).toBe(12)
    // Fill the sample with distinct keys until the halving happens (each counts once).
    let n = 0
    while (sketch.frequency(hot) >= 12 && n < 10 * capacity) sketch.increment(hashKey(`other:${n++}`))
    expect(n).toBeLessThan(10 * capacity)
    expect(n).toBeGreaterThan(9 * capacity)
    // Collisions may have inflated the count by one or two before the halving.
    expect(sketch.frequency(hot)).toBeGreaterThanOrEqual(6)
    expect(sketch.frequency(hot)).toBeLessThanOrEqual(7)
  })

  it('pass() counts toward aging without counting for a key', () => {
    const sketch = new FrequencySketch(100)
    const h = hashKey('k')
    for (let i = 0; i < 8; i++) sketch.increment(h)
    for (let i = 0; i < 1000; i++) sketch.pass()
    expect(sketch.frequency(h)).toBe(4)
  })

  it('pass(n) counts n accesses at once toward aging', () => {
    const sketch = new FrequencySketch(100)
    const h = hashKey('k')
    for (let i = 0; i < 8; i++) sketch.increment(h)
    sketch.pass(500)
    expect(sketch.frequency(h)).toBe(8)
    sketch.pass(500)
    expect(sketch.frequency(h)).toBe(4)
  })

  it('clear forgets every count', () => {
    const sketch = new FrequencySketch(16)
    const h = hashKey('k')
    sketch.increment(h)
    sketch.clear()
    expect(sketch.frequency(h)).toBe(0)
  })

  it('hashKey spreads keys that differ in one character', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 10_000; i++) seen.add(hashKey(`key:${i}`) & 0xffff)
    // 10,000 keys into 65,536 buckets: a good hash leaves few collisions.
    expect(seen.size).toBeGreaterThan(9000)
  })
})

describe('memoryStore (tinylfu): aging', () => {
  it('a key once hot loses its standing after the sketch ages', async () => {
    const { memoryStore } = await import('../../../src/index.js')
    const { attach, access } = await import('./helpers.js')
    const s = memoryStore({ maxEntries: 100 })
    attach(s)
    for (let i = 0; i < 15; i++) access(s, 'old-favourite')
    expect(s.frequency('old-favourite')).toBe(15)
    // Every 10 × 100 further accesses trigger a halving (twice over 2,000).
    for (let i = 0; i < 2000; i++) access(s, `k${i % 300}`)
    expect(s.frequency('old-favourite')).toBeLessThanOrEqual(4)
  })
})
