/**
 * The `Cache-Status` response field (RFC 9211): how a cache handled a request.
 * @module
 */

/** Why a cache forwarded a request (RFC 9211 §2.2). */
export type ForwardReason = 'bypass' | 'method' | 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale' | 'partial'

/** One cache's entry in `Cache-Status`. */
export interface CacheStatusEntry {
  /** The cache's name (an sf-token or sf-string), e.g. `cachestack`. */
  cache: string
  /** Served from the cache without contacting the origin. */
  hit?: boolean
  /** Forwarded to the origin, and why. */
  fwd?: ForwardReason
  /** The status the origin answered the forwarded request with. */
  fwdStatus?: number
  /** Remaining freshness, seconds (negative when stale). */
  ttl?: number
  /** The response was stored. */
  stored?: boolean
  /** The request was collapsed with another. */
  collapsed?: boolean
  /** The cache key (implementation specific). */
  key?: string
  /** Extra detail (implementation specific). */
  detail?: string
}

const SF_TOKEN = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/

function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '?')}"`
}

/**
 * Formats one `Cache-Status` list member (a Structured Field item with parameters).
 * @example
 * ```ts
 * formatCacheStatus({ cache: 'cachestack', hit: true, ttl: 42 }) // 'cachestack; hit; ttl=42'
 * formatCacheStatus({ cache: 'cachestack', fwd: 'miss', stored: true }) // 'cachestack; fwd=miss; stored'
 * ```
 */
export function formatCacheStatus(entry: CacheStatusEntry): string {
  let s = SF_TOKEN.test(entry.cache) ? entry.cache : sfString(entry.cache)
  if (entry.hit === true) s += '; hit'
  if (entry.fwd !== undefined) s += `; fwd=${entry.fwd}`
  if (entry.fwdStatus !== undefined) s += `; fwd-status=${Math.trunc(entry.fwdStatus)}`
  if (entry.ttl !== undefined) s += `; ttl=${Math.trunc(entry.ttl)}`
  if (entry.stored === true) s += '; stored'
  if (entry.collapsed === true) s += '; collapsed'
  if (entry.key !== undefined) s += `; key=${sfString(entry.key)}`
  if (entry.detail !== undefined) s += `; detail=${SF_TOKEN.test(entry.detail) ? entry.detail : sfString(entry.detail)}`
  return s
}

/**
 * Parses a `Cache-Status` value into entries, first cache (nearest the
 * origin) first. Unknown parameters are ignored; never throws. Linear in the
 * length of the value: one pass that splits members on `,` and parameters on
 * `;` outside quoted strings (RFC 8941 §3.3.3; `\` escapes within them).
 */
export function parseCacheStatus(value: string | null | undefined): CacheStatusEntry[] {
  if (typeof value !== 'string') return []
  const out: CacheStatusEntry[] = []
  let params: string[] = []
  let start = 0
  let quoted = false
  const flush = (end: number, member: boolean) => {
    params.push(value.slice(start, end).trim())
    start = end + 1
    if (!member) return
    const entry = entryOf(params)
    if (entry !== undefined) out.push(entry)
    params = []
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (quoted) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) quoted = false
    } else if (c === 34) quoted = true
    else if (c === 59 /* ; */) flush(i, false)
    else if (c === 44 /* , */) flush(i, true)
  }
  // A quoted string left open runs to the end of the value.
  flush(value.length, true)
  return out
}

/** An sf-integer (RFC 8941 §3.3.1): at most 15 digits, so never NaN or inexact. */
const INTEGER = /^-?\d{1,15}$/

function entryOf(params: readonly string[]): CacheStatusEntry | undefined {
  const name = unquote(params[0] ?? '')
  if (name === '') return undefined
  const entry: CacheStatusEntry = { cache: name }
  for (let j = 1; j < params.length; j++) {
    const p = params[j]!
    const eq = p.indexOf('=')
    const k = (eq === -1 ? p : p.slice(0, eq)).trim()
    const v = eq === -1 ? undefined : unquote(p.slice(eq + 1).trim())
    if (k === 'hit') entry.hit = true
    else if (k === 'fwd' && v !== undefined) entry.fwd = v as ForwardReason
    else if (k === 'fwd-status' && v !== undefined && INTEGER.test(v)) entry.fwdStatus = Number(v)
    else if (k === 'ttl' && v !== undefined && INTEGER.test(v)) entry.ttl = Number(v)
    else if (k === 'stored') entry.stored = true
    else if (k === 'collapsed') entry.collapsed = true
    else if (k === 'key' && v !== undefined) entry.key = v
    else if (k === 'detail' && v !== undefined) entry.detail = v
  }
  return entry
}

function unquote(s: string): string {
  const t = s.trim()
  return t.startsWith('"') && t.endsWith('"') && t.length >= 2 ? t.slice(1, -1).replace(/\\(.)/g, '$1') : t
}
