import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, manualClock, memoryStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { refreshAhead, schedule } from '../../src/strategies.js'
import { REDIS_HOST, REDIS_PORT, REDIS_URL } from '../helpers/redis.js'

const tick = () => new Promise((r) => setImmediate(r))

describe('refreshAhead', () => {
  it('a read past the ratio returns the cached value and reloads in the background', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    let version = 0
    const rates = refreshAhead(cache, (key) => `${key}#${++version}`, { ttl: '1m', ratio: 0.5 })
    expect(await rates.get('eur')).toBe('eur#1')
    clock.advance('20s')
    expect(await rates.get('eur')).toBe('eur#1')
    expect(version).toBe(1)
    clock.advance('15s')
    // Past half the TTL: served from the cache at once, reloaded behind it.
    expect(await rates.get('eur')).toBe('eur#1')
    await tick()
    expect(version).toBe(2)
    expect(await rates.get('eur')).toBe('eur#2')
    // The reload restarted the TTL: 59 s after the first load the key is still fresh.
    clock.advance('24s')
    expect(await rates.get('eur')).toBe('eur#2')
    expect(version).toBe(2)
  })

  it('requires a ttl and a ratio between 0 and 1', () => {
    const cache = createCache({ tiers: [memoryStore()] })
    expect(() => refreshAhead(cache, () => 1, {} as never)).toThrow(/ttl/)
    expect(() => refreshAhead(cache, () => 1, { ttl: '1m', ratio: 1 })).toThrow(/ratio/)
  })
})

describe('schedule', () => {
  it('computes at start, then on a timer; get() reads the precomputed value', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    let runs = 0
    let second!: () => void
    const twice = new Promise<void>((r) => (second = r))
    const job = schedule(
      cache,
      'report',
      () => {
        runs++
        if (runs === 2) second()
        return { runs }
      },
      { every: 20 },
    )
    await twice
    job.stop()
    while (job.stats().runs < 2) await tick()
    expect(await job.get()).toEqual({ runs: 2 })
    expect(job.stats().runs).toBe(2)
  })

  it('never overlaps runs in a process; a failed run keeps the previous value', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    let release!: () => void
    let n = 0
    const errors: unknown[] = []
    const job = schedule(
      cache,
      'slow',
      async () => {
        n++
        if (n === 2) throw new Error('source down')
        if (n === 3) await new Promise<void>((r) => (release = r))
        return n
      },
      { every: '1h', onError: (e) => errors.push(e) },
    )
    await tick()
    expect(await job.get()).toBe(1)
    expect(await job.run()).toBe(false)
    expect(errors).toHaveLength(1)
    expect(await job.get()).toBe(1)
    const third = job.run()
    await tick()
    expect(await job.run()).toBe(false)
    release()
    expect(await third).toBe(true)
    expect(await job.get()).toBe(3)
    expect(job.stats()).toMatchObject({ runs: 2, overlaps: 1, failures: 1 })
    job.stop()
  })

  describe('with a shared tier that locks (Redis)', () => {
    const prefix = `cs-test-${process.pid}-${Math.floor(Math.random() * 1e9)}:`
    let redis: Redis | undefined
    beforeAll(async () => {
      const c = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1 })
      try {
        await c.connect()
        redis = c
      } catch (error) {
        c.disconnect()
        if (process.env.CI === 'true') throw error
        console.warn(`Redis at ${REDIS_URL} is unreachable; skipping (${String(error)})`)
      }
    })
    afterAll(async () => {
      if (redis !== undefined) {
        const keys = await redis.keys(`${prefix}*`)
        if (keys.length > 0) await redis.del(...keys)
        redis.disconnect()
      }
    })

    it('one process computes per period; the other reads its result', async (ctx) => {
      if (redis === undefined) return ctx.skip()
      // Two caches over the same Redis, as two processes would have.
      const a = createCache({ tiers: [memoryStore(), redisStore({ client: redis, prefix })] })
      const b = createCache({ tiers: [memoryStore(), redisStore({ client: redis, prefix })] })
      const computedBy: string[] = []
      const jobA = schedule(
        a,
        'leaderboard',
        () => {
          computedBy.push('a')
          return 'from a'
        },
        {
          every: '1h',
          runOnStart: false,
        },
      )
      const jobB = schedule(
        b,
        'leaderboard',
        () => {
          computedBy.push('b')
          return 'from b'
        },
        {
          every: '1h',
          runOnStart: false,
        },
      )
      expect(await jobA.run()).toBe(true)
      expect(await jobB.run()).toBe(false)
      expect(computedBy).toEqual(['a'])
      expect(await jobB.get()).toBe('from a')
      expect(jobB.stats().lockedOut).toBe(1)
      jobA.stop()
      jobB.stop()
    })
  })
})
