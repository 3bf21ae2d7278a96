/**
 * Rate limiting for Hono.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { RateLimiter } from '../rate-limiter.js'
import { addressKey, evaluate, noAddress, type RateLimitMiddlewareOptions } from './shared.js'

/** The part of a Hono context the middleware uses. */
export interface HonoContextLike {
  req: { url: string; method: string; raw: Request; header(name: string): string | undefined }
  /** On @hono/node-server, `env.incoming` is the Node request (the default key reads its address). */
  env: unknown
  header(name: string, value: string): void
}

/**
 * Creates Hono middleware that counts each request against `limiter`, sets
 * `RateLimit` and `RateLimit-Policy` on the response, and answers 429 with
 * `Retry-After` when over the limit (503 when the store failed and `failOpen`
 * is false). The default key is the client address on @hono/node-server; on
 * other runtimes pass `key` (for example from `cf-connecting-ip` on Cloudflare).
 *
 * @param limiter - from {@link rateLimit}
 * @param options - see {@link RateLimitMiddlewareOptions}
 * @example
 * ```ts
 * app.use('/api/*', honoRateLimit(rateLimit({ store: redis, limit: 100, window: '1m' })))
 * ```
 */
export function honoRateLimit<C extends HonoContextLike = HonoContextLike>(
  limiter: RateLimiter,
  options: RateLimitMiddlewareOptions<C> = {},
): (c: C, next: () => Promise<void>) => Promise<Response | undefined> {
  return async function rateLimit(c, next) {
    if (options.skip?.(c)) {
      await next()
      return undefined
    }
    let key: string
    if (options.key !== undefined) key = await options.key(c)
    else {
      const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
      if (limiter.key !== undefined && incoming !== undefined) key = await limiter.key(incoming)
      else {
        const address = incoming?.socket?.remoteAddress
        if (address === undefined) throw noAddress()
        key = addressKey(address)
      }
    }
    const verdict = await evaluate(limiter, options, c, key)
    if (verdict.status !== 0) {
      return new Response(verdict.body, {
        status: verdict.status,
        headers: { ...verdict.headers, 'content-type': verdict.contentType },
      })
    }
    await next()
    for (const name in verdict.headers) c.header(name, verdict.headers[name]!)
    return undefined
  }
}
