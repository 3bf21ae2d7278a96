/**
 * What the proxy derives from a stored response once per entry object: its
 * effective directives (RFC 9213 targeted field or `Cache-Control`), its
 * freshness lifetime, its validators and the precomputed header arrays the
 * hit path writes. Kept in a WeakMap, never serialized.
 * @module
 */
import { type CacheControl, parseCacheControl } from '../semantics/cache-control.js'
import { RETAINED_304_HEADERS } from '../semantics/conditional.js'
import { freshnessLifetime } from '../semantics/freshness.js'
import { parseHttpDate } from '../semantics/headers.js'
import { targetedCacheControl } from '../semantics/targeted.js'
import { flatGet, flatRecord, type ProxyStored } from './stored.js'

/** Derived facts of a stored response. */
export interface Facts {
  /** The directives this cache obeys. */
  cc: CacheControl
  /** Freshness lifetime, seconds. */
  lifetime: number
  /** `Date`, epoch ms (or the response time when absent). */
  date: number
  /** `ETag`, if any. */
  etag: string | undefined
  /** `Last-Modified`, if any. */
  lastModified: string | undefined
  /** Full answer headers with two trailing slots: Age (`head.length - 3`) and Cache-Status (`head.length - 1`). */
  head: string[]
  /** 304 answer headers, same slots. */
  head304: string[]
}

const FACTS = new WeakMap<ProxyStored, Facts>()

/** Computes facts for directives and lifetime (shared with the store path). */
export function directives(
  flat: readonly string[],
  targets: readonly string[],
): { cc: CacheControl; targeted: boolean; record: Record<string, string> } {
  const record = flatRecord(flat)
  const t = targets.length === 0 ? undefined : targetedCacheControl(record, targets)
  return t === undefined
    ? { cc: parseCacheControl(record['cache-control']), targeted: false, record }
    : { cc: t, targeted: true, record }
}

/** The lifetime of a response (RFC 9111 §4.2.1), with `Expires` ignored under a targeted field (RFC 9213 §2.1). */
export function lifetimeOf(
  status: number,
  cc: CacheControl,
  targeted: boolean,
  record: Record<string, string>,
  responseTime: number,
  heuristicFraction: number,
): { lifetime: number; date: number } {
  const date = parseHttpDate(record.date) ?? responseTime
  const expiresRaw = targeted ? undefined : record.expires
  const expires = expiresRaw === undefined ? undefined : (parseHttpDate(expiresRaw) ?? null)
  const lastModified = parseHttpDate(record['last-modified'])
  const { seconds } = freshnessLifetime(
    { status, cacheControl: cc, date, expires, lastModified },
    { shared: true, heuristicFraction },
  )
  return { lifetime: seconds, date }
}

/** The facts of `stored`, computed on first use. */
export function factsOf(stored: ProxyStored, targets: readonly string[], heuristicFraction: number): Facts {
  let f = FACTS.get(stored)
  if (f !== undefined) return f
  const { cc, targeted, record } = directives(stored.h, targets)
  const { lifetime, date } = lifetimeOf(stored.s, cc, targeted, record, stored.rs, heuristicFraction)
  // Surrogate-Control is addressed to this cache alone: obeyed, never passed on.
  const hide = targets.includes('surrogate-control') ? 'surrogate-control' : undefined
  const head: string[] = []
  for (let i = 0; i < stored.h.length; i += 2) if (stored.h[i] !== hide) head.push(stored.h[i]!, stored.h[i + 1]!)
  head.push('age', '0', 'cache-status', '')
  const head304: string[] = []
  for (let i = 0; i < stored.h.length; i += 2) {
    if ((RETAINED_304_HEADERS as readonly string[]).includes(stored.h[i]!)) head304.push(stored.h[i]!, stored.h[i + 1]!)
  }
  head304.push('age', '0', 'cache-status', '')
  f = {
    cc,
    lifetime,
    date,
    etag: flatGet(stored.h, 'etag'),
    lastModified: flatGet(stored.h, 'last-modified'),
    head,
    head304,
  }
  FACTS.set(stored, f)
  return f
}
