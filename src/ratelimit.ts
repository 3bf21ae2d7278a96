/**
 * Rate limiting on cachestack's tiers: fixed window, sliding window and token
 * bucket, atomic in process memory and in Redis (one Lua script per call,
 * cluster-safe), with middleware for node:http, Express, Fastify and Hono that
 * answers 429 with `Retry-After` and sends the IETF `RateLimit` and
 * `RateLimit-Policy` headers. An unreachable Redis admits requests by default
 * (`failOpen`), or refuses them with 503 if you ask.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { expressRateLimit, rateLimit } from 'cachestack/ratelimit'
 *
 * const limiter = rateLimit({ store: new Redis(process.env.REDIS_URL), limit: 100, window: '1m', algorithm: 'sliding' })
 * app.use('/api', expressRateLimit(limiter))
 *
 * // Without middleware, for example for login attempts:
 * const logins = rateLimit({ store: redis, limit: 5, window: '15m' })
 * const { allowed, retryAfter } = await logins.consume(`login:${email}`)
 * ```
 * @module
 */
export * from './ratelimit/index.js'
