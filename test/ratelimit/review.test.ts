/**
 * Rate-limit defects found in review, reproduced on the real Redis.
 */
import { describe, expect, it } from 'vitest'
import { rateLimit } from '../../src/ratelimit.js'
import { redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'

const hasRedis = await redisAvailable()
const unique = uniquePrefix('rl-review')

describe.skipIf(!hasRedis)('limiters sharing one Redis', () => {
  const redis = redisClientFor(unique)
  it.fails('two differently named policies with the same numbers count apart by default', async () => {
    const login = rateLimit({ store: redis.client, limit: 2, window: '1m', name: 'login' })
    const signup = rateLimit({ store: redis.client, limit: 2, window: '1m', name: 'signup' })
    const ip = `${unique}203.0.113.9`
    try {
      expect((await login.consume(ip)).allowed).toBe(true)
      expect((await login.consume(ip)).allowed).toBe(true)
      expect((await signup.consume(ip)).allowed).toBe(true)
    } finally {
      await login.reset(ip)
      await signup.reset(ip)
    }
  })
})
