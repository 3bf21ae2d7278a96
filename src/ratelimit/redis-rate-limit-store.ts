/**
 * Counters in Redis, shared by every process: each call is one Lua script
 * (EVALSHA, falling back to EVAL once when the server has not seen it), so
 * reading, deciding and writing a key is atomic however many processes race.
 * A script touches exactly the one key it is given, so it is cluster-safe.
 *
 * The script mirrors algorithms.ts line for line (same integer arithmetic).
 * One shortcut: a fixed window on the server's clock (no limiter `clock`) is
 * a plain counter whose expiry ends the window (GET, INCRBY, PTTL), the
 * cheapest shape Redis has. Otherwise a key holds the three numbers of the
 * algorithm's state as one string `a:b:c` (GET, then one SET with PX).
 * @module
 */
import { createHash } from 'node:crypto'
import { invalidOption } from '../core/errors.js'
import type { Algorithm, Decision } from './algorithms.js'
import type { RateLimitCall, RateLimitStore } from './rate-limit-store.js'

/**
 * The part of an ioredis client (`Redis` or `Cluster`) the store uses. The
 * client belongs to the caller: the store never connects or quits it.
 */
export interface RedisScriptClient {
  /** Runs a cached script. */
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>
  /** Runs a script by its text (and caches it on the server). */
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>
  /** Deletes keys. */
  del(...keys: string[]): Promise<number>
  /** ioredis' connection status (`'ready'`, `'reconnecting'`, `'end'`, …). */
  readonly status?: string
}

/** @internal The decision script. ARGV: algorithm (f, s, t), limit, window ms, cost, now ms (-1: Redis TIME). */
export const RATE_LIMIT_SCRIPT = `
local now = tonumber(ARGV[5])
local algo = ARGV[1]
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local probe = cost
if probe <= 0 then probe = 1 end
if algo == 'f' and now < 0 then
  -- Fixed window on the server's clock: a counter whose expiry is the window's end.
  local v = redis.call('GET', KEYS[1])
  if v == false then
    if probe > limit then return { 0, limit, window, -1 } end
    if cost > 0 then
      redis.call('SET', KEYS[1], cost, 'PX', window)
      return { 1, limit - cost, window, 0 }
    end
    return { 1, limit, window, 0 }
  end
  local count = tonumber(v)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = window end
  if count + probe <= limit then
    if cost > 0 then count = redis.call('INCRBY', KEYS[1], cost) end
    return { 1, limit - count, ttl, 0 }
  end
  if probe > limit then return { 0, limit - count, ttl, -1 } end
  return { 0, limit - count, ttl, ttl }
end
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local s = redis.call('GET', KEYS[1])
local has = s ~= false
local a, b, c = 0, 0, 0
if has then
  local x, y, z = string.match(s, '^(-?%d+):(-?%d+):(-?%d+)$')
  a = tonumber(x); b = tonumber(y); c = tonumber(z)
end
local allowed, remaining, reset, retry, ttl
if algo == 'f' then
  local start, count = now, 0
  if has and now < a + window then start = a; count = b end
  allowed = count + probe <= limit
  if allowed and cost > 0 then count = count + cost end
  remaining = limit - count
  reset = start + window - now
  if allowed then retry = 0 elseif probe > limit then retry = -1 else retry = reset end
  a = start; b = count; ttl = reset
elseif algo == 's' then
  local cur = now - (now % window)
  local curr, prev = 0, 0
  if has then
    if a == cur then curr = b; prev = c elseif a == cur - window then prev = b end
  end
  local elapsed = now - cur
  allowed = prev * (window - elapsed) + (curr + probe) * window <= limit * window
  if allowed and cost > 0 then curr = curr + cost end
  local used = prev * (window - elapsed) + curr * window
  remaining = math.max(0, math.floor((limit * window - used) / window))
  retry = 0
  if not allowed then
    if probe > limit then retry = -1
    elseif curr + probe <= limit then retry = math.ceil((window * (prev - limit + curr + probe)) / prev) - elapsed
    else
      local later = 0
      if curr > 0 then later = math.ceil((window * (curr - limit + probe)) / curr) end
      retry = window - elapsed + math.max(0, later)
    end
  end
  reset = cur + window - now
  a = cur; b = curr; c = prev; ttl = cur + 2 * window - now
else
  local cap = limit * window
  local tokens = cap
  if has then
    local el = 0
    if now > b then el = now - b end
    tokens = math.min(cap, a + el * limit)
  end
  allowed = tokens >= probe * window
  if allowed and cost > 0 then tokens = tokens - cost * window end
  remaining = math.floor(tokens / window)
  reset = math.ceil((cap - tokens) / limit)
  if allowed then retry = 0 elseif probe > limit then retry = -1 else retry = math.ceil((probe * window - tokens) / limit) end
  a = tokens; b = now; ttl = reset
end
if allowed and cost > 0 then
  redis.call('SET', KEYS[1], string.format('%.0f:%.0f:%.0f', a, b, c), 'PX', string.format('%.0f', math.max(1, ttl)))
end
if allowed then allowed = 1 else allowed = 0 end
return { allowed, remaining, reset, retry }
`

const SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex')
const CODE: Record<Algorithm, string> = { fixed: 'f', sliding: 's', 'token-bucket': 't' }

/**
 * Creates a Redis store for {@link rateLimit} over an ioredis client you
 * own. Every process that uses the same Redis, prefix and policy shares one
 * counter per key. Time comes from the Redis server (`TIME`), so the clocks of
 * app servers never disagree about a window, unless the limiter has a `clock`.
 *
 * @param client - an ioredis `Redis` (or `Cluster`)
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * const limiter = rateLimit({ store: redisRateLimitStore(new Redis(process.env.REDIS_URL)), limit: 100, window: '1m' })
 * ```
 */
export function redisRateLimitStore(client: RedisScriptClient): RateLimitStore {
  if (client === null || typeof client !== 'object' || typeof client.evalsha !== 'function') {
    throw invalidOption('client', 'an ioredis client, e.g. redisRateLimitStore(new Redis(url))', client)
  }
  function decision(reply: unknown, call: RateLimitCall): Decision {
    const r = reply as [number, number, number, number]
    return {
      allowed: r[0] === 1,
      remaining: r[1],
      reset: r[2],
      retryAfter: r[3],
      limit: call.limit,
      window: call.window,
    }
  }
  return {
    name: 'redis',
    remote: true,
    consume(call: RateLimitCall): Promise<Decision> {
      if (client.status === 'reconnecting' || client.status === 'end' || client.status === 'close') {
        // Not connected: answer at once instead of queueing behind a reconnect.
        // The limiter turns this into ERR_CACHE_UNAVAILABLE, saying whether the call was admitted.
        return Promise.reject(new Error(`Redis connection is ${client.status}`))
      }
      const code = CODE[call.algorithm]
      const now = call.now ?? -1
      return client.evalsha(SHA, 1, call.key, code, call.limit, call.window, call.cost, now).then(
        (reply) => decision(reply, call),
        (err: unknown) => {
          if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
            return client
              .eval(RATE_LIMIT_SCRIPT, 1, call.key, code, call.limit, call.window, call.cost, now)
              .then((reply) => decision(reply, call))
          }
          throw err
        },
      )
    },
    async reset(key: string): Promise<void> {
      await client.del(key)
    },
  }
}
