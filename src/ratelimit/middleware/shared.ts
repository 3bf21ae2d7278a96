/**
 * What every framework's rate-limit middleware shares: its options, the
 * default key (the client address), and the refusal's status and body.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { isIPv4, isIPv6 } from 'node:net'
import { CacheError } from '../../core/errors.js'
import { rateLimitHeaders } from '../headers.js'
import type { RateLimiter, RateLimitResult } from '../rate-limiter.js'

/** Options of every rate-limit middleware; `R` is the framework's request (or context). */
export interface RateLimitMiddlewareOptions<R> {
  /** Who is counted. @defaultValue the limiter's `key`, else the client address */
  key?: (req: R) => string | Promise<string>
  /**
   * Units a request takes (for example more for an expensive route): an
   * integer ≥ 0. A request that costs 0 is free: never refused, never counted,
   * and sent the current `RateLimit` figures. @defaultValue 1
   */
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
  if (cost === 0) {
    // A free request: it only looks (a failed store is no reason to refuse it either).
    const result = { ...(await limiter.check(key)), allowed: true, retryAfter: 0 }
    const headers =
      options.headers === false ? {} : rateLimitHeaders(limiter, result, { legacy: options.legacyHeaders === true })
    return { result, headers, status: 0, body: '', contentType: '' }
  }
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
  return addressKey(address)
}

/**
 * @internal The key for a client address: an IPv4 address as it is (an IPv4-mapped IPv6
 * address as its IPv4 form), an IPv6 address as its /64 network. One IPv6
 * subscriber or server is routed a whole /64 and can pick a new address in
 * it for every request, so counting single IPv6 addresses would let any
 * client escape the limit.
 */
export function addressKey(address: string): string {
  if (isIPv4(address)) return address
  if (!isIPv6(address)) return address
  const bytes = ipv6Bytes(address)
  if (bytes === undefined) return address
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  if (mapped) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`
  const groups: string[] = []
  for (let i = 0; i < 8; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16))
  return `${groups.join(':')}::/64`
}

/** The 16 bytes of an IPv6 address (a zone index dropped), or undefined. */
function ipv6Bytes(address: string): Uint8Array | undefined {
  let a = address
  const zone = a.indexOf('%')
  if (zone !== -1) a = a.slice(0, zone)
  const out = new Uint8Array(16)
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const lastColon = a.lastIndexOf(':')
  const tail = a.slice(lastColon + 1)
  if (isIPv4(tail)) {
    const [w, x, y, z] = tail.split('.').map(Number) as [number, number, number, number]
    a = `${a.slice(0, lastColon + 1)}${((w << 8) | x).toString(16)}:${((y << 8) | z).toString(16)}`
  }
  const halves = a.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : []
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0
  const groups = [...head, ...Array<string>(fill).fill('0'), ...rest]
  if (groups.length !== 8) return undefined
  for (let i = 0; i < 8; i++) {
    const g = Number.parseInt(groups[i]!, 16)
    if (!(g >= 0 && g <= 0xffff)) return undefined
    out[i * 2] = g >> 8
    out[i * 2 + 1] = g & 0xff
  }
  return out
}

/** @internal */
export function noAddress(): CacheError {
  return new CacheError(
    'ERR_CACHE_INVALID_OPTION',
    'The rate limiter found no client address to count by: pass a `key` function (for example from a user id or a trusted header).',
  )
}
