/**
 * Review of the compare-and-set touch (memory over Redis, memory over SQLite).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { sqliteStore } from '../../src/sqlite.js'
import { REDIS_URL, redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'

const hasRedis = await redisAvailable()
const prefix = uniquePrefix('touchcas')
const caches: Cache[] = []
const track = (c: Cache) => {
  caches.push(c)
  return c
}
const dirs: string[] = []
afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe.skipIf(!hasRedis)('touch over Redis', () => {
  redisClientFor(prefix)
  const layered = () =>
    track(createCache({ tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })], ttl: '1h' }))

  it('two touches of a live entry at once both resolve true (neither is a set or a delete)', async () => {
    const cache = layered()
    await cache.set('both', 'v')
    const results = await Promise.all([cache.touch('both', { ttl: '2h' }), cache.touch('both', { ttl: '2h' })])
    expect(results).toEqual([true, true])
  })

  it('two processes touching one live entry at once both resolve true', async () => {
    const a = layered()
    const b = layered()
    await a.set('proc', 'v')
    await b.get('proc')
    const results = await Promise.all([a.touch('proc', { ttl: '2h' }), b.touch('proc', { ttl: '2h' })])
    expect(results).toEqual([true, true])
  })

  it('a set from another process racing touches still wins: it is no touch of the same write', async () => {
    const a = layered()
    const b = layered()
    await b.get('warm-up')
    let lost = 0
    for (let i = 0; i < 20; i++) {
      await a.set(`r${i}`, 'v1')
      const touches = Promise.all([a.touch(`r${i}`, { ttl: '2h' }), a.touch(`r${i}`, { ttl: '3h' })])
      await b.set(`r${i}`, 'v2')
      await touches
      const fresh = layered()
      if ((await fresh.get(`r${i}`)) !== 'v2') lost++
    }
    expect(lost).toBe(0)
  })
})

describe.skipIf(!hasRedis)('touch over Redis: cost', () => {
  it('a touch in a namespace costs two round trips: the entry read with its tag versions, and the compare-and-set', async () => {
    const nsPrefix = uniquePrefix('touchcas-cost')
    const cache = track(
      createCache({
        tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix: nsPrefix, tagReads: 'script' })],
        ttl: '1h',
      }),
    )
    const users = cache.namespace('users')
    await users.set('1', 'ann', { tags: ['team:1'] })
    expect(await users.touch('1', { ttl: '2h' })).toBe(true) // versions now known locally
    const monitor = await new Redis(REDIS_URL).monitor()
    const seen: string[] = []
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // Commands a script runs inside Redis are listed too, from "lua": not round trips.
      if (!source.includes('lua') && args.some((a) => a.includes(nsPrefix))) seen.push(args[0]!.toLowerCase())
    })
    try {
      for (let i = 0; i < 5; i++) expect(await users.touch('1', { ttl: '2h' })).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      monitor.disconnect()
    }
    // Per touch: the entry with its versions (one script), then the compare-and-set
    // (another); no separate read of the versions (MGET).
    expect(seen).toEqual(Array.from({ length: 10 }, () => 'evalsha'))
  })
})

describe.skipIf(!hasRedis)('touch over Redis: tags', () => {
  it('an entry whose tag was invalidated (here, or in another process once known) is not touched', async () => {
    const p = uniquePrefix('touchcas-tags')
    const make = () =>
      track(createCache({ tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix: p })], ttl: '1h' }))
    const a = make()
    await a.set('t', 'v', { tags: ['team:1'] })
    await a.invalidateTags(['team:1'])
    expect(await a.touch('t', { ttl: '2h' })).toBe(false)
    await a.set('u', 'v', { tags: ['team:2'] })
    await make().invalidateTags(['team:2'])
    // A process that has not heard of the invalidation yet reads the shared versions.
    expect(await make().touch('u', { ttl: '2h' })).toBe(false)
  })
})

describe('touch over SQLite', () => {
  it('two touches of a live entry at once both resolve true', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'touchcas-'))
    dirs.push(dir)
    const cache = track(createCache({ tiers: [memoryStore(), sqliteStore({ path: join(dir, 'c.db') })], ttl: '1h' }))
    await cache.set('both', 'v')
    const results = await Promise.all([cache.touch('both', { ttl: '2h' }), cache.touch('both', { ttl: '2h' })])
    expect(results).toEqual([true, true])
  })
})
