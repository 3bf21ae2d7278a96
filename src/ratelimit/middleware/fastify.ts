/**
 * Rate limiting for Fastify, as an `onRequest` hook.
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { RateLimiter } from '../rate-limiter.js'
import { evaluate, nodeKey, type RateLimitMiddlewareOptions } from './shared.js'

/**
 * The part of a Fastify request the hook and its `key` option see (`ip`
 * honours Fastify's `trustProxy`). For all of Fastify's request, pass it as
 * the type argument: `fastifyRateLimit<FastifyRequest>(limiter, { key: (req) => req.user.id })`.
 */
export interface FastifyRequestLike {
  ip: string
  url: string
  method: string
  headers: IncomingHttpHeaders
  raw: IncomingMessage
}

/** The part of a Fastify reply the hook uses. */
export interface FastifyReplyLike {
  header(name: string, value: string): unknown
  code(statusCode: number): unknown
  type(contentType: string): unknown
  send(payload?: unknown): unknown
}

/**
 * Creates a Fastify `onRequest` hook that counts each request against
 * `limiter`, sets `RateLimit` and `RateLimit-Policy`, and answers 429 with
 * `Retry-After` when over the limit (503 when the store failed and `failOpen` is false).
 * Add it to the whole app, a plugin's scope, or one route's `onRequest`.
 *
 * @param limiter - from {@link rateLimit}
 * @param options - see {@link RateLimitMiddlewareOptions}
 * @example
 * ```ts
 * app.addHook('onRequest', fastifyRateLimit(rateLimit({ store: redis, limit: 100, window: '1m' })))
 * app.post('/login', { onRequest: fastifyRateLimit(loginLimiter, { key: (req) => `login:${req.ip}` }) }, login)
 * ```
 */
export function fastifyRateLimit<
  Req extends FastifyRequestLike = FastifyRequestLike,
  Reply extends FastifyReplyLike = FastifyReplyLike,
>(
  limiter: RateLimiter,
  options: RateLimitMiddlewareOptions<Req> = {},
): (request: Req, reply: Reply) => Promise<Reply | undefined> {
  return async function rateLimitHook(request, reply) {
    if (options.skip?.(request)) return undefined
    const key = await (options.key !== undefined
      ? options.key(request)
      : limiter.key !== undefined
        ? limiter.key(request.raw)
        : nodeKey(limiter, Object.assign(Object.create(request.raw) as IncomingMessage, { ip: request.ip })))
    const verdict = await evaluate(limiter, options, request, key)
    for (const name in verdict.headers) reply.header(name, verdict.headers[name]!)
    if (verdict.status === 0) return undefined
    reply.code(verdict.status)
    reply.type(verdict.contentType)
    reply.send(verdict.body)
    return reply
  }
}
