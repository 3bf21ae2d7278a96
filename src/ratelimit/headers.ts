/**
 * The response headers of a rate-limited API, per the IETF httpapi draft
 * "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers-10):
 *
 * - `RateLimit-Policy: "default";q=100;w=60`: the quota `q` per window `w` seconds.
 * - `RateLimit: "default";r=42;t=17`: `r` units remain, the quota resets in `t` seconds.
 * - `Retry-After: 17` (RFC 9110 §10.2.3) on a refusal: seconds until a retry can succeed.
 *
 * Both draft fields are Structured Field lists (RFC 9651) of items named by the policy.
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
 * @module
 */
import type { RateLimiter, RateLimitResult } from './rate-limiter.js'

/**
 * The headers to send with a response for `result`: `RateLimit-Policy`,
 * `RateLimit` (left out when the store failed, as its numbers would be a guess),
 * and `Retry-After` when the call was refused.
 * @param limiter - the limiter that produced `result` (for its name)
 * @param result - what `consume` or `check` answered
 * @param options - `legacy: true` adds `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
 *   `X-RateLimit-Reset` (Unix time in seconds, as GitHub sends it) for older clients
 * @returns header names (lower case) and values
 * @example
 * ```ts
 * const result = await limiter.consume(`login:${email}`)
 * for (const [name, value] of Object.entries(rateLimitHeaders(limiter, result))) res.setHeader(name, value)
 * ```
 */
export function rateLimitHeaders(
  limiter: Pick<RateLimiter, 'name'>,
  result: RateLimitResult,
  options: { legacy?: boolean } = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-policy': `"${limiter.name}";q=${result.limit};w=${Math.ceil(result.window / 1000)}`,
  }
  if (result.error === undefined) {
    headers.ratelimit = `"${limiter.name}";r=${result.remaining};t=${Math.ceil(result.reset / 1000)}`
    if (options.legacy === true) {
      headers['x-ratelimit-limit'] = String(result.limit)
      headers['x-ratelimit-remaining'] = String(result.remaining)
      headers['x-ratelimit-reset'] = String(Math.ceil((Date.now() + result.reset) / 1000))
    }
  }
  if (!result.allowed) headers['retry-after'] = String(retryAfterSeconds(result))
  return headers
}

/** Whole seconds until a retry can succeed (at least 1); the window when it never can (cost above the limit). */
export function retryAfterSeconds(result: RateLimitResult): number {
  const ms = result.retryAfter < 0 ? result.window : result.retryAfter
  return Math.max(1, Math.ceil(ms / 1000))
}
