/**
 * `Cache-Control` (RFC 9111 §5.2, RFC 5861) parsed into a typed object and
 * serialized back.
 *
 * Why not http-cache-semantics' parser: it splits on every comma (so
 * `no-cache="Set-Cookie, X-Id"` becomes two bogus directives), keeps directive
 * names' case (RFC 9111 §5.2: names are case-insensitive), lets the last of
 * duplicate directives win, and keeps values as strings. This parser follows
 * RFC 9110 §5.6 list syntax and RFC 9111 §4.2.1's advice for conflicting
 * duplicates, and never throws: whatever a peer sends, the result is usable.
 * @module
 */
import { lookupTable } from '../../core/own.js'

/** Delta-seconds past this are read as 2^31 (RFC 9111 §1.2.2). */
export const MAX_DELTA_SECONDS = 2147483648

/**
 * The directives of a `Cache-Control` field, request or response.
 * Absent directives are absent properties; seconds are integers ≥ 0.
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-5.2
 */
export interface CacheControl {
  /** `max-age`: fresh for this many seconds (response); accepts a response no older (request). */
  maxAge?: number
  /** `s-maxage`: the freshness lifetime for shared caches; also forbids serving stale there. */
  sMaxAge?: number
  /** `max-stale` (request): accepts a response stale by up to this many seconds, or any (`true`). */
  maxStale?: number | true
  /** `min-fresh` (request): wants a response fresh for at least this many more seconds. */
  minFresh?: number
  /** `no-cache`: revalidate before each reuse; a list names fields not to reuse without revalidation. */
  noCache?: true | string[]
  /** `no-store`: store no part of the request or response. */
  noStore?: true
  /** `no-transform`: intermediaries must not transform the content. */
  noTransform?: true
  /** `only-if-cached` (request): answer from a cache or with 504. */
  onlyIfCached?: true
  /** `must-revalidate`: once stale, never serve without revalidation. */
  mustRevalidate?: true
  /** `must-understand`: store only if the status code is understood. */
  mustUnderstand?: true
  /** `proxy-revalidate`: `must-revalidate` for shared caches only. */
  proxyRevalidate?: true
  /** `public`: any cache may store it, even for an authenticated request. */
  public?: true
  /** `private`: only a private cache may store it; a list names fields a shared cache must not store. */
  private?: true | string[]
  /** `immutable` (RFC 8246): the content will not change while fresh; skip revalidation on reload. */
  immutable?: true
  /** `stale-while-revalidate` (RFC 5861 §3): serve stale this many seconds while revalidating in the background. */
  staleWhileRevalidate?: number
  /** `stale-if-error` (RFC 5861 §4): serve stale this many seconds when the origin fails. */
  staleIfError?: number
  /** Directives this parser does not know, name → value (`true` when valueless). */
  extensions?: Record<string, string | true>
}

type SecondsKey = 'maxAge' | 'sMaxAge' | 'minFresh' | 'staleWhileRevalidate' | 'staleIfError'
type FlagKey =
  | 'noStore'
  | 'noTransform'
  | 'onlyIfCached'
  | 'mustRevalidate'
  | 'mustUnderstand'
  | 'proxyRevalidate'
  | 'public'
  | 'immutable'

const SECONDS: ReadonlyMap<string, SecondsKey> = lookupTable({
  'max-age': 'maxAge',
  's-maxage': 'sMaxAge',
  'min-fresh': 'minFresh',
  'stale-while-revalidate': 'staleWhileRevalidate',
  'stale-if-error': 'staleIfError',
})
const FLAGS: ReadonlyMap<string, FlagKey> = lookupTable({
  'no-store': 'noStore',
  'no-transform': 'noTransform',
  'only-if-cached': 'onlyIfCached',
  'must-revalidate': 'mustRevalidate',
  'must-understand': 'mustUnderstand',
  'proxy-revalidate': 'proxyRevalidate',
  public: 'public',
  immutable: 'immutable',
})

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const DIGITS = /^\d+$/

/** Reads delta-seconds (RFC 9111 §1.2.2); `undefined` when the value is not one. */
export function parseDeltaSeconds(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !DIGITS.test(value)) return undefined
  const n = Number(value)
  return n > MAX_DELTA_SECONDS ? MAX_DELTA_SECONDS : n
}

/**
 * Splits a field value into its list members, honouring quoted strings
 * (RFC 9110 §5.6.1, §5.6.4). Empty members are dropped, as recipients must.
 */
function splitDirectives(header: string): [name: string, value: string | true][] {
  const out: [string, string | true][] = []
  const n = header.length
  let i = 0
  while (i < n) {
    // skip separators and whitespace
    while (i < n && (header[i] === ',' || header[i] === ' ' || header[i] === '\t')) i++
    if (i >= n) break
    let j = i
    while (j < n && header[j] !== '=' && header[j] !== ',') j++
    const name = header.slice(i, j).trim().toLowerCase()
    if (j < n && header[j] === '=') {
      j++
      while (j < n && (header[j] === ' ' || header[j] === '\t')) j++
      let value = ''
      if (header[j] === '"') {
        j++
        while (j < n && header[j] !== '"') {
          if (header[j] === '\\' && j + 1 < n) j++
          value += header[j]
          j++
        }
        j++ // closing quote (or end)
        while (j < n && header[j] !== ',') j++ // ignore junk after a quoted string
      } else {
        const start = j
        while (j < n && header[j] !== ',') j++
        value = header.slice(start, j).trim()
      }
      if (name !== '') out.push([name, value])
    } else if (name !== '') {
      out.push([name, true])
    }
    i = j + 1
  }
  return out
}

function fieldList(value: string | true): true | string[] {
  if (value === true) return true
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '')
  return names.length === 0 ? true : names
}

/**
 * Parses a `Cache-Control` field value. Never throws.
 *
 * Tolerance, as RFC 9111 asks: names are case-insensitive; a freshness
 * directive with an invalid value (`max-age=soon`) or given twice with
 * different values is read as 0, so the response is treated as stale (§4.2.1);
 * other malformed directives are ignored; unknown directives go to `extensions`.
 *
 * @param header - the field value (several field lines joined with `,`), or undefined
 * @example
 * ```ts
 * parseCacheControl('public, max-age=60, stale-while-revalidate=30')
 * // { public: true, maxAge: 60, staleWhileRevalidate: 30 }
 * ```
 */
export function parseCacheControl(header: string | null | undefined): CacheControl {
  const cc: CacheControl = {}
  if (typeof header !== 'string' || header === '') return cc
  for (const [name, value] of splitDirectives(header)) {
    const secondsKey = SECONDS.get(name)
    if (secondsKey !== undefined) {
      const n = parseDeltaSeconds(value)
      const prev = cc[secondsKey]
      cc[secondsKey] = n === undefined ? 0 : prev !== undefined && prev !== n ? 0 : n
      continue
    }
    const flagKey = FLAGS.get(name)
    if (flagKey !== undefined) {
      cc[flagKey] = true
      continue
    }
    switch (name) {
      case 'max-stale': {
        if (value === true) cc.maxStale = true
        else {
          const n = parseDeltaSeconds(value)
          // An invalid max-stale is ignored: a client that cannot say how stale gets no stale.
          if (n !== undefined) cc.maxStale = cc.maxStale === undefined ? n : Math.min(n, cc.maxStale as number)
        }
        break
      }
      case 'no-cache':
      case 'private': {
        const key = name === 'no-cache' ? 'noCache' : 'private'
        const list = fieldList(value)
        const prev = cc[key]
        // The unqualified form is the stricter one; it wins over any field list.
        if (prev === true || list === true) cc[key] = true
        else cc[key] = prev === undefined ? list : [...new Set([...prev, ...list])]
        break
      }
      default:
        if (TOKEN.test(name)) {
          // No prototype: a directive named `__proto__` or `constructor` is an ordinary entry.
          cc.extensions ??= Object.create(null) as Record<string, string | true>
          cc.extensions[name] = value
        }
    }
  }
  return cc
}

const ORDER: [keyof CacheControl, string][] = [
  ['public', 'public'],
  ['private', 'private'],
  ['noCache', 'no-cache'],
  ['noStore', 'no-store'],
  ['maxAge', 'max-age'],
  ['sMaxAge', 's-maxage'],
  ['maxStale', 'max-stale'],
  ['minFresh', 'min-fresh'],
  ['mustRevalidate', 'must-revalidate'],
  ['proxyRevalidate', 'proxy-revalidate'],
  ['mustUnderstand', 'must-understand'],
  ['noTransform', 'no-transform'],
  ['onlyIfCached', 'only-if-cached'],
  ['immutable', 'immutable'],
  ['staleWhileRevalidate', 'stale-while-revalidate'],
  ['staleIfError', 'stale-if-error'],
]

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`
}

/**
 * Serializes directives into a `Cache-Control` field value, in a stable order.
 * Field lists are written quoted (`private="set-cookie"`); extension values that
 * are not tokens are quoted. Returns `''` when there is no directive.
 *
 * @example
 * ```ts
 * serializeCacheControl({ public: true, maxAge: 31536000, immutable: true })
 * // 'public, max-age=31536000, immutable'
 * ```
 */
export function serializeCacheControl(cc: CacheControl): string {
  const parts: string[] = []
  for (const [key, name] of ORDER) {
    const v = cc[key]
    if (v === undefined || (v as unknown) === false) continue
    if (v === true) parts.push(name)
    else if (Array.isArray(v)) parts.push(`${name}=${quote(v.join(', '))}`)
    else if (typeof v === 'number') parts.push(`${name}=${Math.max(0, Math.min(MAX_DELTA_SECONDS, Math.floor(v)))}`)
  }
  if (cc.extensions !== undefined) {
    for (const name of Object.keys(cc.extensions)) {
      if (!TOKEN.test(name)) continue
      const v = cc.extensions[name]!
      parts.push(v === true ? name : `${name}=${TOKEN.test(v) ? v : quote(v)}`)
    }
  }
  return parts.join(', ')
}
