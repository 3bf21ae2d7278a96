import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { manualClock } from '../../src/index.js'
import {
  type Algorithm,
  memoryRateLimitStore,
  type RateLimitStore,
  rateLimit,
  redisRateLimitStore,
} from '../../src/ratelimit.js'
import { redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'
import { Model } from './model.js'

const hasRedis = await redisAvailable()
const ALGORITHMS: Algorithm[] = ['fixed', 'sliding', 'token-bucket']
const START = 1_700_000_000_000

const step = fc.record({
  advance: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1500 })),
  cost: fc.integer({ min: 1, max: 3 }),
})

/**
 * Runs a random sequence against the limiter and the model: every decision
 * must match; `remaining` must be what the model says fits; after a refusal,
 * waiting `retryAfter` ms admits the same call and waiting 1 ms less does not.
 */
async function agreesWithModel(
  store: () => RateLimitStore,
  algorithm: Algorithm,
  limit: number,
  window: number,
  steps: { advance: number; cost: number }[],
  prefix: string,
): Promise<void> {
  const clock = manualClock(START)
  const shared = store()
  const limiter = rateLimit({ store: shared, algorithm, limit, window, clock, prefix })
  const model = new Model(algorithm, limit, window)
  for (const { advance, cost } of steps) {
    clock.advance(advance)
    const now = clock.now()
    const expected = model.fits(now, cost)
    const result = await limiter.consume('k', cost)
    expect(result.error).toBeUndefined()
    expect(result.allowed).toBe(expected)
    model.consume(now, cost)
    // remaining: that many single units fit now, one more does not.
    expect(model.fits(now, result.remaining) || result.remaining === 0).toBe(true)
    expect(model.fits(now, result.remaining + 1)).toBe(false)
    if (!result.allowed && result.retryAfter > 0) {
      expect(model.fits(now + result.retryAfter, cost)).toBe(true)
      expect(model.fits(now + result.retryAfter - 1, cost)).toBe(false)
      if (shared.remote && cost === 1) {
        // Another limiter on the same Redis, looking (check writes nothing) from later clocks.
        const at = (t: number) => rateLimit({ store: shared, algorithm, limit, window, clock: manualClock(t), prefix })
        expect((await at(now + result.retryAfter).check('k')).allowed).toBe(true)
        expect((await at(now + result.retryAfter - 1).check('k')).allowed).toBe(false)
      }
    }
  }
}

describe('the algorithms in memory match the model (manual clock)', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 6 }),
          fc.constantFrom(100, 1000, 997),
          fc.array(step, { minLength: 1, maxLength: 60 }),
          async (limit, window, steps) => {
            await agreesWithModel(memoryRateLimitStore, algorithm, limit, window, steps, '')
          },
        ),
        { numRuns: 300 },
      )
    })
  }
})

describe.skipIf(!hasRedis)('the algorithms in Redis (Lua) match the model (manual clock)', () => {
  const prefix = uniquePrefix('rl-model')
  const redis = redisClientFor(prefix)

  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}`, async () => {
      let run = 0
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 6 }),
          fc.constantFrom(100, 1000, 997),
          fc.array(step, { minLength: 1, maxLength: 40 }),
          async (limit, window, steps) => {
            await agreesWithModel(
              () => redisRateLimitStore(redis.client),
              algorithm,
              limit,
              window,
              steps,
              `${prefix}${algorithm}:${run++}:`,
            )
          },
        ),
        { numRuns: 40 },
      )
    })
  }
})

describe('exact values', () => {
  it('fixed: a window opens at the first call; remaining, reset and retryAfter count down', async () => {
    const clock = manualClock(START)
    const limiter = rateLimit({ limit: 3, window: '1m', clock })
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 2, reset: 60_000, retryAfter: 0 })
    clock.advance('10s')
    await limiter.consume('a')
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0, reset: 50_000 })
    expect(await limiter.consume('a')).toMatchObject({ allowed: false, remaining: 0, retryAfter: 50_000 })
    expect(await limiter.check('a')).toMatchObject({ allowed: false })
    expect(await limiter.consume('b')).toMatchObject({ allowed: true, remaining: 2 })
    clock.advance('50s')
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 2, reset: 60_000 })
  })

  it('sliding: the previous window weighs by its overlap', async () => {
    const clock = manualClock(START - (START % 60_000))
    const limiter = rateLimit({ limit: 10, window: '1m', algorithm: 'sliding', clock })
    for (let i = 0; i < 10; i++) expect((await limiter.consume('a')).allowed).toBe(true)
    expect((await limiter.consume('a')).allowed).toBe(false)
    clock.advance('75s') // 15 s into the next window: 10 × 45/60 = 7.5 still count
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 1 })
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0 })
    const refused = await limiter.consume('a')
    // needs 10 × (60 − e)/60 + 2 + 1 ≤ 10  →  e ≥ 18 s, 3 s from now
    expect(refused).toMatchObject({ allowed: false, retryAfter: 3_000 })
  })

  it('token bucket: bursts to the limit and refills continuously', async () => {
    const clock = manualClock(START)
    const limiter = rateLimit({ limit: 4, window: '4s', algorithm: 'token-bucket', clock })
    expect(await limiter.consume('a', 4)).toMatchObject({ allowed: true, remaining: 0, reset: 4_000 })
    expect(await limiter.consume('a')).toMatchObject({ allowed: false, retryAfter: 1_000 })
    clock.advance('1500ms')
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0 })
    expect(await limiter.consume('a', 5)).toMatchObject({ allowed: false, retryAfter: -1 })
  })

  it('check() takes nothing; reset() forgets a key', async () => {
    const limiter = rateLimit({ limit: 1, window: '1h' })
    expect((await limiter.check('a')).allowed).toBe(true)
    expect((await limiter.check('a')).remaining).toBe(1)
    expect((await limiter.consume('a')).allowed).toBe(true)
    expect((await limiter.check('a')).allowed).toBe(false)
    await limiter.reset('a')
    expect((await limiter.consume('a')).allowed).toBe(true)
  })

  it('the memory store stays within maxKeys', async () => {
    const clock = manualClock(START)
    const store = memoryRateLimitStore({ maxKeys: 100 })
    const limiter = rateLimit({ store, limit: 1, window: '1m', clock })
    for (let i = 0; i < 1000; i++) await limiter.consume(`k${i}`)
    // the newest keys are still counted
    expect((await limiter.consume('k999')).allowed).toBe(false)
  })

  it('names the option to fix', () => {
    expect(() => rateLimit({ limit: 0, window: '1m' })).toThrow(/"limit"/)
    expect(() => rateLimit({ limit: 1, window: 'soon' })).toThrow(/window/)
    expect(() => rateLimit({ limit: 1, window: '1m', algorithm: 'leaky' as never })).toThrow(/"algorithm"/)
    expect(() => rateLimit({ limit: 1, window: '1m', store: {} as never })).toThrow(/"store"/)
    expect(() => rateLimit({ limit: 1, window: '1m', name: 'a b' })).toThrow(/"name"/)
  })

  it('refuses an empty key and a bad cost', async () => {
    const limiter = rateLimit({ limit: 1, window: '1m' })
    await expect(limiter.consume('')).rejects.toThrow(/non-empty/)
    await expect(limiter.consume('a', 0)).rejects.toThrow(/"cost"/)
  })
})
