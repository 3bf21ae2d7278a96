import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveDashboard } from '../../src/dashboard.js'
import { CacheError, createCache, memoryStore } from '../../src/index.js'
import { memoize } from '../../src/strategies.js'
import { cli } from '../helpers/cli.js'
import { REDIS_URL, type RedisTier, redisAvailable, redisTier } from '../ops/helpers/redis-tier.js'

const SECRET = 'hunter2-S3cret'
const up = await redisAvailable()

describe.skipIf(!up)('memoize over a shared tier: argument values never appear in keys (issue 19, finding 5)', () => {
  let redis: RedisTier
  beforeAll(async () => {
    redis = await redisTier()
  })
  afterAll(async () => {
    await redis?.close?.()
  })

  it('hashes argument-derived keys by default: not in Redis, not in `cachestack keys`, not in the dashboard', {
    timeout: 60_000,
  }, async () => {
    const cache = createCache({ tiers: [memoryStore(), redis] })
    let runs = 0
    const login = memoize(
      async (user: string, password: string) => {
        runs++
        return user === 'ada' && password === SECRET
      },
      { cache, name: 'login' },
    )
    const server = await serveDashboard(cache, { port: 0 })
    try {
      expect(await login('ada', SECRET)).toBe(true)
      expect(await login('ada', SECRET)).toBe(true)
      expect(runs).toBe(1)
      // A second process (a fresh memory tier over the same Redis) finds the result by the same hashed key.
      const other = createCache({ tiers: [memoryStore(), redis] })
      const otherLogin = memoize(async (_u: string, _p: string) => false, { cache: other, name: 'login' })
      expect(await otherLogin('ada', SECRET)).toBe(true)

      const keys = await redis.keys()
      expect(keys.length).toBeGreaterThan(0)
      for (const k of keys) {
        expect(k).not.toContain(SECRET)
        expect(k).not.toContain('ada')
      }
      expect(login.keyOf('ada', SECRET)).not.toContain(SECRET)

      const stats = (await (await fetch(new URL('api/stats', server.url))).json()) as { hotKeys: { key: string }[] }
      expect(stats.hotKeys.length).toBeGreaterThan(0)
      expect(JSON.stringify(stats.hotKeys)).not.toContain(SECRET)

      const run = await cli('keys', '*', '--redis', REDIS_URL, '--prefix', redis.prefix, '--json')
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain('login:#')
      expect(run.stdout).not.toContain(SECRET)
    } finally {
      await server.close()
    }
  })

  it("keeps readable keys only when asked (keys: 'readable')", async () => {
    const cache = createCache({ tiers: [memoryStore(), redis] })
    const greet = memoize(async (name: string) => `hi ${name}`, { cache, name: 'greet', keys: 'readable' })
    expect(await greet('grace')).toBe('hi grace')
    expect((await redis.keys()).some((k) => k.includes('grace'))).toBe(true)
    expect(() => memoize((x: string) => x, { cache, name: 'bad', keys: 'plain' as never })).toThrow(CacheError)
  })
})
