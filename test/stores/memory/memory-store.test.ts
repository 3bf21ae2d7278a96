import { describe, expect, it } from 'vitest'
import { type MemoryPolicy, memoryStore } from '../../../src/index.js'
import { access, attach, env, held, traffic } from './helpers.js'

const INF = Number.POSITIVE_INFINITY
const policies: MemoryPolicy[] = ['tinylfu', 'lru']

describe('memoryStore options', () => {
  it("defaults to 'tinylfu' and keeps 'lru' available", () => {
    expect(memoryStore().policy).toBe('tinylfu')
    expect(memoryStore({ policy: 'lru' }).policy).toBe('lru')
  })

  it('refuses an unknown policy with ERR_CACHE_INVALID_OPTION naming the option', () => {
    expect(() => memoryStore({ policy: 'lfu' as MemoryPolicy })).toThrow(/"policy"/)
    try {
      memoryStore({ policy: 'arc' as MemoryPolicy })
    } catch (err) {
      expect((err as { code: string }).code).toBe('ERR_CACHE_INVALID_OPTION')
    }
  })
})

describe.each(policies)('memoryStore (%s): basics', (policy) => {
  it('gets what was set, overwrites, deletes and clears', () => {
    const s = memoryStore({ policy, maxEntries: 10 })
    attach(s)
    s.set('a', env(1), INF)
    s.set('b', env(2), INF)
    expect(s.get('a')?.value).toBe(1)
    s.set('a', env(3), INF)
    expect(s.get('a')?.value).toBe(3)
    expect(s.entries).toBe(2)
    expect(s.delete('a')).toBe(true)
    expect(s.delete('a')).toBe(false)
    expect(s.get('a')).toBeUndefined()
    s.set('p:1', env(1), INF)
    s.set('p:2', env(2), INF)
    s.clear('p:')
    expect([...s.keys()]).toEqual(['b'])
    s.clear()
    expect(s.entries).toBe(0)
    s.set('c', env(4), INF)
    expect(s.get('c')?.value).toBe(4)
  })

  it('never holds more than maxEntries', () => {
    const s = memoryStore({ policy, maxEntries: 5 })
    const { evicted } = attach(s)
    for (let i = 0; i < 50; i++) {
      s.set(`k${i}`, env(i), INF)
      expect(s.entries).toBeLessThanOrEqual(5)
    }
    expect(s.entries).toBe(5)
    expect(evicted).toHaveLength(45)
    expect(evicted.every(([, reason]) => reason === 'capacity')).toBe(true)
    expect(s.evictions).toBe(45)
  })

  it('a one-entry store keeps the newest entry', () => {
    const s = memoryStore({ policy, maxEntries: 1 })
    attach(s)
    s.set('a', env(1), INF)
    s.set('b', env(2), INF)
    expect([...s.keys()]).toEqual(['b'])
  })

  it('expires entries by their absolute expiry (TTL) and reports them', () => {
    const s = memoryStore({ policy, maxEntries: 100 })
    const { clock, evicted } = attach(s)
    const now = clock.now()
    s.set('short', env(1), now + 1000)
    s.set('long', env(2), now + 60_000)
    s.set('never', env(3), INF)
    // Hits on the short-lived entry (into protected, for tinylfu) do not keep it past its expiry.
    for (let i = 0; i < 5; i++) expect(s.get('short')?.value).toBe(1)
    clock.advance(1000)
    expect(s.get('short')).toBeUndefined()
    expect(evicted).toEqual([['short', 'expired']])
    expect(s.get('long')?.value).toBe(2)
    clock.advance('1m')
    expect(s.purgeExpired()).toBe(1)
    expect([...s.keys()]).toEqual(['never'])
  })
})

describe.each(policies)('memoryStore (%s): bytes', (policy) => {
  const sizeOf = (value: unknown) => (value as { n: number }).n

  it('accounts bytes across writes, overwrites and deletes', () => {
    const s = memoryStore({ policy, maxEntries: 100, maxBytes: 1000, sizeOf })
    attach(s)
    s.set('a', env({ n: 100 }), INF)
    s.set('b', env({ n: 200 }), INF)
    expect(s.bytes).toBe(300)
    s.set('a', env({ n: 50 }), INF)
    expect(s.bytes).toBe(250)
    s.set('b', env({ n: 400 }), INF)
    expect(s.bytes).toBe(450)
    s.delete('a')
    expect(s.bytes).toBe(400)
    expect(s.size()).toEqual({ entries: 1, bytes: 400 })
    s.clear('b')
    expect(s.bytes).toBe(0)
  })

  it('without maxBytes or sizeOf, size() counts the bytes: never 0 for a store that holds entries', () => {
    const s = memoryStore({ policy })
    attach(s)
    expect(s.size()).toEqual({ entries: 0, bytes: 0 })
    for (let i = 0; i < 200; i++) s.set(`k${i}`, env('x'.repeat(1000)), INF)
    const size = s.size()
    expect(size.entries).toBe(200)
    expect(size.bytes).toBeGreaterThan(200 * 1000)
    expect(size.bytes).toBeLessThan(200 * 4000)
  })

  it('evicts to stay within maxBytes, and an overwrite that grows an entry evicts others', () => {
    const s = memoryStore({ policy, maxEntries: 100, maxBytes: 1000, sizeOf })
    attach(s)
    for (let i = 0; i < 20; i++) {
      s.set(`k${i}`, env({ n: 100 }), INF)
      expect(s.bytes).toBeLessThanOrEqual(1000)
    }
    expect(s.entries).toBe(10)
    const last = 'k19'
    s.set(last, env({ n: 950 }), INF)
    expect(s.bytes).toBeLessThanOrEqual(1000)
    expect(s.get(last)?.value).toEqual({ n: 950 })
    expect(s.entries).toBe(1)
  })

  it('refuses an entry larger than the whole budget, counts it and drops the old value', () => {
    const s = memoryStore({ policy, maxEntries: 100, maxBytes: 1000, sizeOf })
    const { evicted } = attach(s)
    s.set('small', env({ n: 10 }), INF)
    s.set('big', env({ n: 10 }), INF)
    s.set('big', env({ n: 1001 }), INF)
    expect(s.get('big')).toBeUndefined()
    expect(s.get('small')?.value).toEqual({ n: 10 })
    expect(s.refused).toBe(1)
    expect(s.bytes).toBe(10)
    expect(evicted).toEqual([['big', 'too-large']])
  })

  it('weighs with the size estimate when no sizeOf is given', () => {
    const s = memoryStore({ policy, maxBytes: '2kb' })
    attach(s)
    for (let i = 0; i < 100; i++) s.set(`key:${i}`, env({ id: i, name: 'x'.repeat(20) }), INF)
    expect(s.bytes).toBeGreaterThan(0)
    expect(s.bytes).toBeLessThanOrEqual(2048)
    expect(s.entries).toBeLessThan(100)
  })
})

describe('memoryStore (lru): order', () => {
  it('evicts the least recently used', () => {
    const s = memoryStore({ policy: 'lru', maxEntries: 3 })
    const { evicted } = attach(s)
    for (const k of ['a', 'b', 'c']) s.set(k, env(k), INF)
    s.get('a')
    s.set('d', env('d'), INF)
    expect(evicted).toEqual([['b', 'capacity']])
    expect([...s.keys()]).toEqual(['d', 'a', 'c'])
  })
})

describe('memoryStore (tinylfu): admission and eviction order', () => {
  it('a new key enters the window; the window overflow becomes a probation candidate', () => {
    // 100 entries: a window of 1, a main space of 99 (79 protected).
    const s = memoryStore({ maxEntries: 100 })
    attach(s)
    s.set('a', env('a'), INF)
    expect([...s.keys()]).toEqual(['a'])
    s.set('b', env('b'), INF)
    // 'b' in the window, 'a' moved on to probation (room left: no admission test yet).
    expect([...s.keys()]).toEqual(['b', 'a'])
    s.get('a')
    // A probation hit earns the protected segment, listed before probation.
    s.set('c', env('c'), INF)
    expect([...s.keys()]).toEqual(['c', 'a', 'b'])
  })

  it('when full, a candidate no more frequent than the victim is dropped; a more frequent one replaces it', () => {
    const s = memoryStore({ maxEntries: 3 })
    const { evicted } = attach(s)
    // window 1, main 2 (protected 1)
    s.set('a', env('a'), INF)
    s.set('b', env('b'), INF)
    s.set('c', env('c'), INF)
    expect(s.entries).toBe(3)
    // 'd' pushes 'c' out of the window; 'c' (seen once) ties with victim 'a' (seen once) and is dropped.
    s.set('d', env('d'), INF)
    expect(evicted).toEqual([['c', 'capacity']])
    expect(new Set(s.keys())).toEqual(new Set(['a', 'b', 'd']))
    // 'x' is requested often while absent (miss then write, as a cache does), so the sketch learns it.
    for (let i = 0; i < 4; i++) {
      s.set('x', env('x'), INF)
      s.set(`y${i}`, env('y'), INF)
    }
    // 'x' was admitted over a colder probation victim and is still held.
    expect(s.peek('x')?.value).toBe('x')
    expect(s.frequency('x')).toBeGreaterThan(s.frequency('a'))
  })

  it('a scan does not flush the frequently used entries, where LRU loses them all', () => {
    for (const policy of ['tinylfu', 'lru'] as const) {
      const s = memoryStore({ policy, maxEntries: 100 })
      attach(s)
      const hot = Array.from({ length: 50 }, (_, i) => `hot:${i}`)
      for (let round = 0; round < 5; round++) for (const k of hot) access(s, k)
      for (let i = 0; i < 1000; i++) access(s, `scan:${i}`)
      const kept = hot.filter((k) => s.peek(k) !== undefined).length
      // The sketch is approximate (a few scan keys may collide with hot ones), so allow a little loss.
      if (policy === 'tinylfu') expect(kept).toBeGreaterThanOrEqual(45)
      else expect(kept).toBe(0)
    }
  })

  it('a protected segment over its share demotes its oldest entry to probation', () => {
    // maxEntries 11: window 1, main 10, protected 8.
    const s = memoryStore({ maxEntries: 11 })
    attach(s)
    for (let i = 0; i < 11; i++) s.set(`k${i}`, env(i), INF)
    // Every key but the newest (in the window) is in probation; touch nine of them.
    for (let i = 0; i < 9; i++) s.get(`k${i}`)
    const keys = [...s.keys()]
    // window k10; protected k8..k1 (8 entries, most recent first); probation k0 (demoted) and k9.
    expect(keys[0]).toBe('k10')
    expect(keys.slice(1, 9)).toEqual(['k8', 'k7', 'k6', 'k5', 'k4', 'k3', 'k2', 'k1'])
    expect(new Set(keys.slice(9))).toEqual(new Set(['k0', 'k9']))
    expect(keys[9]).toBe('k0')
  })
})

describe('memoryStore (tinylfu): a hot set that moves', () => {
  it('retires the old hot set soon after the whole hot set moves', () => {
    const s = memoryStore({ maxEntries: 1000 })
    attach(s)
    const key = traffic(1)
    for (let i = 0; i < 50_000; i++) access(s, key('a'))
    expect(held(s, 'a:')).toBeGreaterThan(350)
    // The hot set moves to 400 new keys.
    for (let i = 0; i < 6_000; i++) access(s, key('b'))
    // Without retiring, about 380 dead keys keep their protected slots (the background's
    // protected entries are older, so they are demoted first) and the new set must squeeze
    // through probation. With it, the old keys read in the 16,000 accesses before the move
    // are retired; the rarest ones (last read before that) stay, as rarely read keys do.
    expect(held(s, 'a:')).toBeLessThan(200)
    expect(held(s, 'b:')).toBeGreaterThan(340)
  })

  it('a scan does not retire the hot set: its keys are never read again', () => {
    const s = memoryStore({ maxEntries: 1000 })
    attach(s)
    const key = traffic(2)
    for (let i = 0; i < 50_000; i++) access(s, key('a'))
    const before = held(s, 'a:')
    for (let i = 0; i < 6_000; i++) access(s, `scan:${i}`)
    expect(held(s, 'a:')).toBeGreaterThanOrEqual(before - 5)
  })
})
