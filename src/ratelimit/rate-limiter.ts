/**
 * The rate limiter: a policy (limit per window, algorithm) over a store,
 * with a timeout on remote stores and a fail-open or fail-closed answer
 * when the store cannot be reached.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { Clock } from '../core/clock.js'
import { type Duration, parseDuration } from '../core/duration.js'
import { CacheError, describe, invalidOption } from '../core/errors.js'
import type { Algorithm, Decision } from './algorithms.js'
import { memoryRateLimitStore } from './memory-rate-limit-store.js'
import type { RateLimitStore } from './rate-limit-store.js'
import { type RedisScriptClient, redisRateLimitStore } from './redis-rate-limit-store.js'

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Units (requests, by default) admitted per window per key. An integer ≥ 1. */
  limit: number
  /** The window: milliseconds or a string such as `'1m'`. Token bucket: the time to refill `limit` tokens. */
  window: Duration
  /**
   * How units are counted:
   * - `'fixed'`: a window opens at a key's first hit and admits `limit` until it ends.
   *   Cheapest; a client may get up to 2 × limit across a window edge.
   * - `'sliding'`: the previous window's count, weighted by its overlap, plus the current one.
   *   Smooth at edges; two counters per key.
   * - `'token-bucket'`: bursts up to `limit`, refilled continuously at `limit` per window.
   * @defaultValue `'fixed'`
   */
  algorithm?: Algorithm
  /**
   * Where counters live: {@link memoryRateLimitStore} (one process),
   * {@link redisRateLimitStore}, or an ioredis client (wrapped in a Redis store).
   * @defaultValue a memory store of up to 100,000 keys
   */
  store?: RateLimitStore | RedisScriptClient
  /**
   * Prefix of every key in the store. Limiters sharing a store and a prefix share counters.
   * @defaultValue `` `rl:${name}:${algorithm}:${limit}:${windowMs}:` `` when `name` is given, else
   * `` `rl:${algorithm}:${limit}:${windowMs}:` ``, so each policy counts apart
   */
  prefix?: string
  /** The policy's name in the `RateLimit` and `RateLimit-Policy` headers. @defaultValue `'default'` */
  name?: string
  /**
   * Who is counted, for the middleware: a key from the Node request.
   * @defaultValue the client address (`req.socket.remoteAddress`; Express and Fastify use `req.ip`, which honours their trust-proxy setting)
   */
  key?: (req: IncomingMessage) => string | Promise<string>
  /**
   * When the store fails or times out: `true` admits the call (counted in
   * `result.error`), `false` refuses it (the middleware answers 503).
   * @defaultValue true: an unreachable Redis never takes the app down
   */
  failOpen?: boolean
  /** How long a remote store may take before the call counts as failed. @defaultValue `'1s'` */
  timeout?: Duration
  /**
   * The clock. Without one, the memory store reads `Date.now()` and the Redis
   * store the Redis server's `TIME`; with one, both use it (for tests).
   */
  clock?: Clock
  /** Called with each store failure (after fail-open or fail-closed has decided). @defaultValue none */
  onError?: (error: CacheError) => void
}

/** What {@link RateLimiter.consume} and {@link RateLimiter.check} answer. */
export interface RateLimitResult extends Decision {
  /** The store's failure, when the answer came from `failOpen` instead of the store. */
  error?: CacheError
}

/** A rate limiter made by {@link rateLimit}. */
export interface RateLimiter {
  /** Units per window. */
  readonly limit: number
  /** The window in milliseconds. */
  readonly window: number
  /** The algorithm. */
  readonly algorithm: Algorithm
  /** The policy name used in headers. */
  readonly name: string
  /** Whether a store failure admits (`true`) or refuses the call. */
  readonly failOpen: boolean
  /** The key function for middleware, when one was given. */
  readonly key: ((req: IncomingMessage) => string | Promise<string>) | undefined
  /**
   * Takes `cost` units from `key`'s quota, atomically, if they fit.
   * @param key - who is counted (a user id, an address, `login:${email}`)
   * @param cost - units to take, an integer ≥ 1 @defaultValue 1
   */
  consume(key: string, cost?: number): Promise<RateLimitResult>
  /** Whether one unit would be admitted now, without taking it. */
  check(key: string): Promise<RateLimitResult>
  /** Forgets `key`'s counters (for example after a successful login). */
  reset(key: string): Promise<void>
}

const ALGORITHMS: readonly Algorithm[] = ['fixed', 'sliding', 'token-bucket']

/**
 * Creates a rate limiter.
 *
 * @param options - see {@link RateLimitOptions}; `limit` and `window` are required
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` naming the option to fix
 * @example
 * ```ts
 * // 5 login attempts per 15 minutes per address and account, shared by every process
 * const attempts = rateLimit({ store: new Redis(), limit: 5, window: '15m', algorithm: 'sliding' })
 * const { allowed, retryAfter } = await attempts.consume(`login:${email}`)
 * if (!allowed) return reply.code(429).header('retry-after', Math.ceil(retryAfter / 1000)).send()
 * ```
 */
export function rateLimit(options: RateLimitOptions): RateLimiter {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  const limit = options.limit
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalidOption('limit', 'an integer ≥ 1', limit)
  const window = parseDuration(options.window, 'window')
  if (!Number.isSafeInteger(window) || window < 1) throw invalidOption('window', 'a whole number of ms ≥ 1', window)
  if (limit * window > Number.MAX_SAFE_INTEGER / 4) {
    throw invalidOption('limit', `small enough that limit × window stays below 2^51 (${limit} × ${window} ms)`, limit)
  }
  const algorithm = options.algorithm ?? 'fixed'
  if (!ALGORITHMS.includes(algorithm)) throw invalidOption('algorithm', `one of ${ALGORITHMS.join(', ')}`, algorithm)
  const store = toStore(options.store)
  const name = options.name ?? 'default'
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(name)) {
    throw invalidOption('name', 'letters, digits, "_", ".", ":" or "-"', name)
  }
  // A named policy counts apart from every other, even one with the same numbers.
  const prefix =
    options.prefix ??
    (options.name === undefined ? `rl:${algorithm}:${limit}:${window}:` : `rl:${name}:${algorithm}:${limit}:${window}:`)
  if (typeof prefix !== 'string') throw invalidOption('prefix', 'a string', prefix)
  if (options.key !== undefined && typeof options.key !== 'function')
    throw invalidOption('key', 'a function', options.key)
  const failOpen = options.failOpen ?? true
  if (typeof failOpen !== 'boolean') throw invalidOption('failOpen', 'a boolean', failOpen)
  const timeout = parseDuration(options.timeout ?? '1s', 'timeout')
  const clock = options.clock
  const onError = options.onError

  const failed = (error: unknown): RateLimitResult => {
    const err =
      error instanceof CacheError
        ? error
        : new CacheError(
            'ERR_CACHE_UNAVAILABLE',
            `The rate limit store (${store.name}) failed; the call was ${failOpen ? 'admitted (failOpen)' : 'refused (failOpen: false)'}.`,
            { cause: error },
          )
    onError?.(err)
    return failOpen
      ? { allowed: true, remaining: limit, reset: window, retryAfter: 0, limit, window, error: err }
      : { allowed: false, remaining: 0, reset: window, retryAfter: window, limit, window, error: err }
  }

  function run(key: string, cost: number): Promise<RateLimitResult> {
    if (typeof key !== 'string' || key.length === 0) {
      return Promise.reject(
        new CacheError('ERR_CACHE_KEY', `A rate limit key must be a non-empty string; got ${describe(key)}.`),
      )
    }
    let out: ReturnType<RateLimitStore['consume']>
    try {
      out = store.consume({ key: prefix + key, algorithm, limit, window, cost, now: clock?.now() })
    } catch (error) {
      return Promise.resolve(failed(error))
    }
    if (!(out instanceof Promise)) return Promise.resolve(out)
    if (!store.remote || timeout === 0) return out.catch(failed)
    return new Promise<RateLimitResult>((resolve) => {
      const timer = setTimeout(() => {
        resolve(
          failed(
            new CacheError(
              'ERR_CACHE_TIMEOUT',
              `The rate limit store (${store.name}) did not answer within ${timeout} ms; the call was ${failOpen ? 'admitted' : 'refused'}.`,
            ),
          ),
        )
      }, timeout)
      out.then(
        (d) => {
          clearTimeout(timer)
          resolve(d)
        },
        (error: unknown) => {
          clearTimeout(timer)
          resolve(failed(error))
        },
      )
    })
  }

  return {
    limit,
    window,
    algorithm,
    name,
    failOpen,
    key: options.key,
    consume(key: string, cost = 1): Promise<RateLimitResult> {
      if (!Number.isSafeInteger(cost) || cost < 1) return Promise.reject(invalidOption('cost', 'an integer ≥ 1', cost))
      return run(key, cost)
    },
    check(key: string): Promise<RateLimitResult> {
      return run(key, 0)
    },
    async reset(key: string): Promise<void> {
      await store.reset(prefix + key)
    },
  }
}

function toStore(store: RateLimitStore | RedisScriptClient | undefined): RateLimitStore {
  if (store === undefined) return memoryRateLimitStore()
  if (store !== null && typeof store === 'object') {
    if ('consume' in store && typeof store.consume === 'function') return store
    if ('evalsha' in store && typeof store.evalsha === 'function') return redisRateLimitStore(store)
  }
  throw invalidOption('store', 'memoryRateLimitStore(), redisRateLimitStore(client) or an ioredis client', store)
}
