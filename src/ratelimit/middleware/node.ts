/**
 * Rate limiting for a plain node:http server.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RateLimiter } from '../rate-limiter.js'
import { evaluate, nodeKey, type RateLimitMiddlewareOptions } from './shared.js'

/**
 * Creates a guard for node:http handlers. It resolves `true` when the request
 * may go on (with the `RateLimit` headers set on `res`), or answers it (429 with
 * `Retry-After`, or 503 when the store failed and `failOpen` is false) and resolves `false`.
 *
 * @param limiter - from {@link rateLimit}
 * @param options - see {@link RateLimitMiddlewareOptions}
 * @example
 * ```ts
 * const limit = nodeRateLimit(rateLimit({ limit: 100, window: '1m' }))
 * http.createServer(async (req, res) => {
 *   if (!(await limit(req, res))) return
 *   res.end('hello')
 * })
 * ```
 */
export function nodeRateLimit(
  limiter: RateLimiter,
  options: RateLimitMiddlewareOptions<IncomingMessage> = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async function rateLimitGuard(req, res) {
    if (options.skip?.(req)) return true
    const key = await (options.key === undefined ? nodeKey(limiter, req) : options.key(req))
    const verdict = await evaluate(limiter, options, req, key)
    for (const name in verdict.headers) res.setHeader(name, verdict.headers[name]!)
    if (verdict.status === 0) return true
    res.statusCode = verdict.status
    res.setHeader('content-type', verdict.contentType)
    res.end(verdict.body)
    return false
  }
}
