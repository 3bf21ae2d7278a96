/**
 * Writes that land while an operation awaits must win: a lower-tier read must
 * not copy an older value up over them, a touch must not bring a deleted entry
 * back, a set waiting for tag versions must not undo a later delete. Plus the
 * getOrSetMany and per-call option checks that belong with them.
 * Real Redis for the lower tier (skips outside CI when it is missing).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type Cache, createCache, isCacheError, manualClock, memoryStore } from '../../src/index.js'
import { redisBus, redisStore } from '../../src/redis.js'
import { sqliteStore } from '../../src/sqlite.js'
import { REDIS_URL, redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'

const hasRedis = await redisAvailable()
const prefix = uniquePrefix('races')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Lets a read go out to Redis before the write lands: 0–3 turns of the microtask queue. */
const turns = async (n: number) => {
  for (let t = 0; t < n; t++) await Promise.resolve()
}
const caches: Cache[] = []
const track = (c: Cache) => {
  caches.push(c)
  return c
}
afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()))
})

describe.skipIf(!hasRedis)('a write landing during a lower-tier read wins (memory over Redis)', () => {
  redisClientFor(prefix)
  const layered = () =>
    track(createCache({ tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })], ttl: '1h' }))

  it('get: a set during the Redis read is not overwritten in memory by the older value', async () => {
    const writer = layered()
    let stale = 0
    for (let i = 0; i < 20; i++) {
      await writer.set(`k${i}`, 'v1')
      const reader = layered()
      await reader.get('warm-up') // connected
      const read = reader.get(`k${i}`) // in flight to Redis
      await turns(i % 4)
      const write = reader.set(`k${i}`, 'v2') // lands in memory while the read is out
      await read
      await write
      if ((await reader.get(`k${i}`)) !== 'v2') stale++
    }
    expect(stale).toBe(0)
  })

  it('touch: a set or a delete in this process while the touch reads Redis wins', async () => {
    const writer = layered()
    const shared = track(createCache({ tiers: [redisStore({ url: REDIS_URL, prefix })] }))
    let lost = 0
    for (let i = 0; i < 20; i++) {
      const reader = layered()
      await writer.set(`t${i}`, 'v1')
      await writer.set(`u${i}`, 'in')
      await reader.get('warm-up') // connected
      const touched = reader.touch(`t${i}`, { ttl: '2h' })
      const touching = reader.touch(`u${i}`, { ttl: '2h' })
      await turns(i % 4)
      await reader.set(`t${i}`, 'v2')
      await reader.delete(`u${i}`) // logout
      await Promise.all([touched, touching])
      if ((await reader.get(`t${i}`)) !== 'v2' || (await shared.get(`t${i}`)) !== 'v2') lost++
      if ((await reader.get(`u${i}`)) !== undefined || (await shared.get(`u${i}`)) !== undefined) lost++
    }
    expect(lost).toBe(0)
  })

  it('getOrSet and has: a delete during the Redis read is not undone', async () => {
    const writer = layered()
    let resurrected = 0
    for (let i = 0; i < 20; i++) {
      await writer.set(`d${i}`, 'v1')
      const reader = layered()
      await reader.get('warm-up')
      const read = i % 2 === 0 ? reader.getOrSet(`d${i}`, () => 'loaded') : reader.has(`d${i}`)
      await turns(i % 4)
      const del = reader.delete(`d${i}`)
      await read
      await del
      if ((await reader.get(`d${i}`)) !== undefined) resurrected++
    }
    expect(resurrected).toBe(0)
  })

  it('getMany: a key written during the batched read keeps the write', async () => {
    const writer = layered()
    await writer.setMany([
      ['m1', 'old'],
      ['m2', 'old'],
    ])
    const reader = layered()
    await reader.get('warm-up')
    const read = reader.getMany(['m1', 'm2'])
    await turns(2)
    const write = reader.set('m1', 'new')
    await read
    await write
    expect(await reader.getMany(['m1', 'm2'])).toEqual(['new', 'old'])
  })

  it('a tagged set made just after another process invalidated the tag is readable everywhere', async () => {
    const channel = `${prefix}bus`
    const withBus = () =>
      track(
        createCache({
          tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })],
          bus: redisBus({ url: REDIS_URL, channel }),
          ttl: '1h',
        }),
      )
    const [a, b] = [withBus(), withBus()]
    const reader = track(createCache({ tiers: [redisStore({ url: REDIS_URL, prefix })] }))
    await a.set('warm', 0, { tags: ['t'] }) // a now holds a copy of t's version
    let lost = 0
    for (let i = 0; i < 20; i++) {
      await b.invalidateTags(['t'])
      await a.set(`after${i}`, i, { tags: ['t'] }) // a may not have heard b's message yet
      if ((await reader.get(`after${i}`)) !== i) lost++
    }
    expect(lost).toBe(0)
  })

  it('earlyRefresh fires on a hit from a tier that is not in memory', async () => {
    const clock = manualClock(Date.now())
    const cache = track(
      createCache({
        tiers: [redisStore({ url: REDIS_URL, prefix: `${prefix}refresh:` })],
        clock,
        ttl: 10_000,
        earlyRefresh: { ratio: 0.5 },
      }),
    )
    let loads = 0
    const loader = async () => ++loads
    expect(await cache.getOrSet('r', loader)).toBe(1)
    clock.advance(9_000) // 90 % of the TTL
    for (let i = 0; i < 5; i++) await cache.getOrSet('r', loader)
    await sleep(100)
    expect(loads).toBe(2)
    expect(await cache.getOrSet('r', loader)).toBe(2)
  })

  it('getOrSetMany: a failing load with copy-ups pending rejects the call, never unhandled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-races-'))
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const path = join(dir, 'c.db')
      const seed = track(createCache({ tiers: [sqliteStore({ path })] }))
      await seed.set('a', 'A')
      const cache = track(
        createCache({
          tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix: `${prefix}many:` }), sqliteStore({ path })],
        }),
      )
      await cache.get('warm-up')
      await expect(
        cache.getOrSetMany(['a', 'b'], async () => {
          throw new Error('db down')
        }),
      ).rejects.toThrow('db down')
      await sleep(50)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('writes and deletes keep their call order (memory)', () => {
  const memory = () => track(createCache({ tiers: [memoryStore()], ttl: '1m' }))

  it('touch racing a set or a delete does not bring the older value back', async () => {
    const cache = memory()
    await cache.set('s', 'v1')
    const touched = cache.touch('s', { ttl: '1h' })
    await cache.set('s', 'v2')
    await touched
    expect(await cache.get('s')).toBe('v2')

    await cache.set('session', 'logged-in')
    const touching = cache.touch('session', { ttl: '1h' })
    await cache.delete('session') // logout
    expect(await touching).toBe(false)
    expect(await cache.get('session')).toBeUndefined()
  })

  it('a namespaced set then a delete (or a second set) ends with the later call', async () => {
    const users = memory().namespace('users')
    const first = users.set('1', 'ann')
    await users.delete('1')
    await first
    expect(await users.get('1')).toBeUndefined()
    await Promise.all([users.set('2', 'old'), users.set('2', 'new', { tags: ['t'] })])
    expect(await users.get('2')).toBe('new')
    await Promise.all([users.setMany([['3', 'old']], { tags: ['t'] }), users.delete('3')])
    expect(await users.get('3')).toBeUndefined()
  })

  it('tags added with ctx.setTags see an invalidation made while the load runs', async () => {
    const cache = memory()
    let row = 'old'
    const load = cache.getOrSet('product:1', async (ctx) => {
      ctx.setTags(['product:1'])
      const read = row
      await sleep(30)
      return read
    })
    await sleep(5)
    row = 'new'
    await cache.invalidateTags(['product:1'])
    expect(await load).toBe('old') // this caller gets what it loaded…
    expect(await cache.get('product:1')).toBeUndefined() // …but it is not served as fresh
  })

  it('getOrSetMany: a write or delete during the load wins; minLoadTime is honoured; lock is refused', async () => {
    const cache = memory()
    const slow = <T>(v: T) => new Promise<T>((resolve) => setTimeout(() => resolve(v), 20))
    const written = cache.getOrSetMany(['w'], (keys) => slow(keys.map(() => 'loaded')))
    await cache.set('w', 'explicit')
    expect(await written).toEqual(['loaded'])
    expect(await cache.get('w')).toBe('explicit')
    const deleted = cache.getOrSetMany(['gone'], (keys) => slow(keys.map(() => 'loaded')))
    await cache.delete('gone')
    await deleted
    expect(await cache.get('gone')).toBeUndefined()

    await cache.getOrSetMany(['fast'], (keys) => keys.map(() => 1), { minLoadTime: 1_000 })
    expect(await cache.has('fast')).toBe(false)

    const refused = await cache.getOrSetMany(['l'], (keys) => keys, { lock: true }).catch((e: unknown) => e)
    expect(isCacheError(refused, 'ERR_CACHE_INVALID_OPTION')).toBe(true)
    expect(String(refused)).toContain('lock')
  })
})

describe('per-call options are checked by the call that passes them', () => {
  it('a bad timeout fails the first miss, not the outage that would need it', async () => {
    const cache = track(createCache({ tiers: [memoryStore()], ttl: 1000, grace: '1h' }))
    const error = await cache.getOrSet('p', () => 'price', { timeout: '200 msec' as never }).catch((e: unknown) => e)
    expect(isCacheError(error, 'ERR_CACHE_INVALID_TTL')).toBe(true)
    expect(String(error)).toContain('timeout')
  })

  it('a bad earlyRefresh or shouldCache rejects (never throws) on a hit and on a miss', async () => {
    const cache = track(createCache({ tiers: [memoryStore()], ttl: '1m' }))
    await cache.set('k', 1)
    let hit: Promise<unknown> | undefined
    expect(() => {
      hit = cache.getOrSet('k', () => 2, { earlyRefresh: { ratio: 2 } })
    }).not.toThrow()
    expect(isCacheError(await hit!.catch((e: unknown) => e), 'ERR_CACHE_INVALID_OPTION')).toBe(true)
    const miss = await cache.getOrSet('m', () => 2, { earlyRefresh: { ratio: 2 } }).catch((e: unknown) => e)
    expect(isCacheError(miss, 'ERR_CACHE_INVALID_OPTION')).toBe(true)
    const bad = await cache.getOrSet('n', () => 2, { shouldCache: 'yes' as never }).catch((e: unknown) => e)
    expect(isCacheError(bad, 'ERR_CACHE_INVALID_OPTION')).toBe(true)
  })

  it('setMany of a non-iterable, on() of an unknown event and a tier without delete are named errors', async () => {
    const cache = track(createCache({ tiers: [memoryStore()] }))
    const error = await cache.setMany({ a: 1 } as never).catch((e: unknown) => e)
    expect(isCacheError(error, 'ERR_CACHE_INVALID_OPTION')).toBe(true)
    expect(() => cache.on('hti' as never, () => {})).toThrow(/hit, miss/)
    expect(() => createCache({ tiers: [{ get() {}, set() {} } as never] })).toThrow(/tiers\[0\]/)
  })

  it('a soft timeout followed by a failing load counts one stale hit', async () => {
    const clock = manualClock(0)
    const cache = track(createCache({ tiers: [memoryStore()], clock, ttl: 1000, grace: '1h' }))
    const reasons: string[] = []
    cache.on('stale', (e) => reasons.push(e.reason))
    await cache.getOrSet('k', () => 'v1')
    clock.advance(2_000)
    const failing = () => new Promise<string>((_, reject) => setTimeout(() => reject(new Error('db down')), 50))
    expect(await cache.getOrSet('k', failing, { timeout: 10 })).toBe('v1')
    await sleep(100)
    expect(reasons).toEqual(['timeout'])
    expect(cache.stats().staleHits).toBe(1)
  })
})
