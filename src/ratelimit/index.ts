export type { Algorithm, Decision } from './algorithms.js'
export { rateLimitHeaders, retryAfterSeconds } from './headers.js'
export { type MemoryRateLimitStoreOptions, memoryRateLimitStore } from './memory-rate-limit-store.js'
export * from './middleware/index.js'
export type { RateLimitCall, RateLimitStore } from './rate-limit-store.js'
export {
  type RateLimiter,
  type RateLimitOptions,
  type RateLimitResult,
  rateLimit,
} from './rate-limiter.js'
export { type RedisScriptClient, redisRateLimitStore } from './redis-rate-limit-store.js'
