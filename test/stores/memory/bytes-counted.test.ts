import { describe, expect, it } from 'vitest'
import { createCache, estimateSize, memoryStore } from '../../../src/index.js'
import { attach, env } from './helpers.js'

const INF = Number.POSITIVE_INFINITY
const MiB = 1024 * 1024

describe('memoryStore: one truth on the byte bound (issue 19, finding 6)', () => {
  it("is bounded by '256mb' when no maxBytes is given, as the README says", () => {
    expect(memoryStore().maxBytes).toBe(256 * MiB)
    expect(memoryStore({ maxEntries: 1_000_000 }).maxBytes).toBe(256 * MiB)
    expect(memoryStore({ maxBytes: Number.POSITIVE_INFINITY }).maxBytes).toBe(INF)
  })

  it('counts bytes when only maxEntries is given, so size() shows what the tier holds', async () => {
    const store = memoryStore({ maxEntries: 1_000 })
    const cache = createCache({ tiers: [store] })
    const row = { id: 1, name: 'x'.repeat(1_000), tags: ['a', 'b'] }
    for (let i = 0; i < 100; i++) await cache.set(`row:${i}`, row)
    const { entries, bytes } = store.size()
    expect(entries).toBe(100)
    // Each row holds at least its 1,000-character string (2 bytes a character in V8).
    expect(bytes).toBeGreaterThanOrEqual(100 * 2_000)
    expect(bytes).toBeGreaterThanOrEqual(100 * estimateSize(row))
    await cache.delete('row:0')
    expect(store.size().bytes).toBeLessThan(bytes)
  })

  it('evicts by bytes under the default bound, with no option given', () => {
    const store = memoryStore({ maxEntries: 100_000 })
    attach(store)
    const big = 'y'.repeat(4 * MiB) // 8 MiB as UTF-16
    for (let i = 0; i < 40; i++) store.set(`big:${i}`, env(`${big}${i}`), INF)
    expect(store.bytes).toBeLessThanOrEqual(256 * MiB)
    expect(store.entries).toBeLessThan(40)
    expect(store.evictions).toBeGreaterThan(0)
  })

  it('keeps counting bytes with the bound lifted', () => {
    const store = memoryStore({ maxBytes: Number.POSITIVE_INFINITY })
    attach(store)
    store.set('k', env('v'.repeat(100)), INF)
    expect(store.bytes).toBeGreaterThan(200)
  })
})
