import { describe, expect, it } from 'vitest'
import { createCache, manualClock, memoryStore } from '../../src/index.js'

describe('Cache.getSync', () => {
  it('returns a fresh memory value without a promise, and undefined otherwise', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    expect(cache.getSync('k')).toBeUndefined()
    await cache.set('k', { v: 1 }, { ttl: '1m', tags: ['t'] })
    expect(cache.getSync('k')).toEqual({ v: 1 })
    expect(cache.stats().hits).toBe(1)
    expect(cache.stats().misses).toBe(0)
    await cache.invalidateTags(['t'])
    expect(cache.getSync('k')).toBeUndefined()
    await cache.set('k', 2, { ttl: '1m' })
    clock.advance('2m')
    expect(cache.getSync('k')).toBeUndefined()
    const ns = cache.namespace('a')
    await ns.set('x', 3)
    expect(ns.getSync('x')).toBe(3)
    expect(cache.getSync('x')).toBeUndefined()
  })
})
