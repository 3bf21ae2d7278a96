/**
 * What every framework's rate-limit middleware shares: its options, the
 * default key (the client address), and the refusal's status and body.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { CacheError } from '../../core/errors.js'
import { rateLimitHeaders } from '../headers.js'
import type { RateLimiter, RateLimitResult } from '../rate-limiter.js'

/** Options of every rate-limit middleware; `R` is the framework's request (or context). */
export interface RateLimitMiddlewareOptions<R> {
  /** Who is counted. @defaultValue the limiter's `key`, else the client address */
  key?: (req: R) => string | Promise<string>
  /** Units a request takes (for example more for an expensive route). @defaultValue 1 */
  cost?: (req: R) => number
  /** Requests for which no unit is taken and no header set (health checks, allow-listed clients). @defaultValue none */
  skip?: (req: R) => boolean
  /** Whether to send `RateLimit` and `RateLimit-Policy` on every response (`Retry-After` is always sent on a refusal). @defaultValue true */
  headers?: boolean
  /**
   * Also send `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
   * (Unix seconds), which older clients read. @defaultValue false
   */
  legacyHeaders?: boolean
  /** The body of a 429 answer: a string (sent as text) or an object (sent as JSON). @defaultValue `'Too Many Requests'` */
  message?: string | Record<string, unknown>
}

/** @internal A decision ready to answer: status, headers and body for a refusal. */
export interface Verdict {
  result: RateLimitResult
  headers: Record<string, string>
  /** 0 when the request goes on; 429 when over the limit; 503 when the store failed and failOpen is false. */
  status: 0 | 429 | 503
  body: string
  contentType: string
}

/** @internal Consumes for one request and works out the answer. */
export async function evaluate<R>(
  limiter: RateLimiter,
  options: RateLimitMiddlewareOptions<R>,
  req: R,
  key: string,
): Promise<Verdict> {
  const cost = options.cost === undefined ? 1 : options.cost(req)
  const result = await limiter.consume(key, cost)
  const all = rateLimitHeaders(limiter, result, { legacy: options.legacyHeaders === true })
  const headers: Record<string, string> = options.headers === false ? {} : all
  if (result.allowed) return { result, headers, status: 0, body: '', contentType: '' }
  if (all['retry-after'] !== undefined) headers['retry-after'] = all['retry-after']
  const status = result.error !== undefined ? 503 : 429
  const message = status === 503 ? 'Service Unavailable' : (options.message ?? 'Too Many Requests')
  return typeof message === 'string'
    ? { result, headers, status, body: message, contentType: 'text/plain; charset=utf-8' }
    : { result, headers, status, body: JSON.stringify(message), contentType: 'application/json; charset=utf-8' }
}

/** @internal The key for a Node request: the option, the limiter's `key`, or the address. */
export function nodeKey(
  limiter: RateLimiter,
  req: IncomingMessage & { ip?: string | undefined },
): string | Promise<string> {
  if (limiter.key !== undefined) return limiter.key(req)
  const address = req.ip ?? req.socket?.remoteAddress
  if (address === undefined) throw noAddress()
  return address
}

/** @internal */
export function noAddress(): CacheError {
  return new CacheError(
    'ERR_CACHE_INVALID_OPTION',
    'The rate limiter found no client address to count by: pass a `key` function (for example from a user id or a trusted header).',
  )
}
