import { describe, expect, it } from 'vitest'
import { createCache, type MemoryPolicy, manualClock, memoryStore } from '../../../src/index.js'

describe.each(['tinylfu', 'lru'] as MemoryPolicy[])('memory tier under the cache (%s)', (policy) => {
  it('refuses a value larger than maxBytes, reports it as too-large and serves the loader', async () => {
    const store = memoryStore({ policy, maxEntries: 1_000, maxBytes: '1mb' })
    const cache = createCache({ tiers: [store] })
    const reasons: string[] = []
    cache.on('evict', (e) => reasons.push(e.reason))
    await cache.set('huge', 'x'.repeat(1_000_000))
    expect(store.refused).toBe(1)
    expect(reasons).toEqual(['too-large'])
    expect(await cache.get('huge')).toBeUndefined()
    expect(await cache.getOrSet('small', () => 'ok')).toBe('ok')
    expect(store.size().entries).toBe(1)
  })

  it('expires entries at the TTL however often they were read', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore({ policy, maxEntries: 100 })], clock, ttl: '1m' })
    await cache.set('k', 1)
    for (let i = 0; i < 20; i++) expect(await cache.get('k')).toBe(1)
    clock.advance('61s')
    expect(await cache.get('k')).toBeUndefined()
  })

  it('keeps within maxEntries through getOrSet traffic and counts evictions in stats', async () => {
    const store = memoryStore({ policy, maxEntries: 50 })
    const cache = createCache({ tiers: [store] })
    for (let i = 0; i < 500; i++) await cache.getOrSet(`k${i % 120}`, () => i)
    expect(store.entries).toBeLessThanOrEqual(50)
    expect(cache.stats().evictions).toBe(store.evictions)
    expect(store.evictions).toBeGreaterThan(0)
  })
})
