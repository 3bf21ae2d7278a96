/**
 * Rate limiting for Express (4 and 5).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RateLimiter } from '../rate-limiter.js'
import { evaluate, nodeKey, type RateLimitMiddlewareOptions } from './shared.js'

/**
 * The part of an Express request the middleware and its options see (`ip`
 * honours Express' `trust proxy`). For all of Express' request (with your
 * additions, such as `req.user`), pass it as the type argument:
 * `expressRateLimit<Request>(limiter, { key: (req) => req.user.id })`.
 */
export type ExpressRequestLike = IncomingMessage & { ip?: string | undefined; path: string }

/**
 * Creates Express middleware that counts each request against `limiter`,
 * sets `RateLimit` and `RateLimit-Policy`, and answers 429 with `Retry-After`
 * when over the limit (503 when the store failed and `failOpen` is false).
 *
 * @param limiter - from {@link rateLimit}
 * @param options - see {@link RateLimitMiddlewareOptions}
 * @example
 * ```ts
 * app.use('/api', expressRateLimit(rateLimit({ store: redis, limit: 100, window: '1m', algorithm: 'sliding' })))
 * ```
 */
export function expressRateLimit<Req extends ExpressRequestLike = ExpressRequestLike>(
  limiter: RateLimiter,
  options: RateLimitMiddlewareOptions<Req> = {},
): (req: Req, res: ServerResponse, next: (err?: unknown) => void) => void {
  return function rateLimitMiddleware(req, res, next) {
    if (options.skip?.(req)) {
      next()
      return
    }
    const run = async () => {
      const key = await (options.key === undefined ? nodeKey(limiter, req) : options.key(req))
      const verdict = await evaluate(limiter, options, req, key)
      for (const name in verdict.headers) res.setHeader(name, verdict.headers[name]!)
      if (verdict.status === 0) return next()
      res.statusCode = verdict.status
      res.setHeader('content-type', verdict.contentType)
      res.end(verdict.body)
    }
    run().catch(next)
  }
}
