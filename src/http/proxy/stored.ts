/**
 * What the proxy stores per response, how its headers are cleaned on the way
 * in, and the tags it is purged by.
 *
 * A stored response is plain data (numbers, strings, a string array and a
 * Uint8Array), so it round-trips through every tier's serializer and is shared
 * across processes through Redis or SQLite.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import { HOP_BY_HOP_FIELDS } from '../semantics/headers.js'

/** A stored response. Short field names: they are written once per entry in byte tiers. */
export interface ProxyStored {
  /** Format version. */
  readonly v: 1
  /** Status code. */
  readonly s: number
  /** Header fields, flat `[name, value, …]`, lower-case names, without hop-by-hop fields, Age or Cache-Status. */
  h: string[]
  /** The body. */
  readonly b: Uint8Array
  /** When the request that fetched it was sent (epoch ms). */
  rq: number
  /** When the response was received (epoch ms). */
  rs: number
  /** The `Age` the origin sent, seconds. */
  a: number
  /** The varying request fields (sorted), empty when the response has no `Vary`. */
  readonly vf: string[]
  /** The secondary key of the request it answered. */
  readonly sk: string
}

/**
 * Stored under a URL's primary key when its responses carry `Vary`: the
 * fields to build the secondary key from (RFC 9111 §4.1).
 */
export interface ProxyVaryIndex {
  /** Format version. */
  readonly v: 1
  /** The varying request fields, sorted. */
  readonly vary: string[]
}

/** A value under a proxy key. */
export type ProxyValue = ProxyStored | ProxyVaryIndex

/** Is the value a {@link ProxyVaryIndex}? */
export function isIndex(value: ProxyValue): value is ProxyVaryIndex {
  return (value as ProxyVaryIndex).vary !== undefined
}

const HOP_BY_HOP = new Set(HOP_BY_HOP_FIELDS)

/** The hop-by-hop fields of a message: the fixed list and those its `Connection` names. */
export function hopByHop(headers: IncomingHttpHeaders): Set<string> {
  const conn = headers.connection
  // The common values name no extra field: no set to build per message.
  if (conn === undefined || conn === '' || conn === 'keep-alive' || conn === 'close') return HOP_BY_HOP
  const set = new Set(HOP_BY_HOP)
  for (const n of conn.split(',')) {
    const name = n.trim().toLowerCase()
    if (name !== '') set.add(name)
  }
  return set
}

/**
 * The header fields of a message as a flat `[name, value, …]` list from its
 * raw form, without hop-by-hop fields and without those in `drop`.
 */
export function cleanHeaders(
  raw: readonly string[],
  hop: ReadonlySet<string>,
  drop: ReadonlySet<string> | undefined,
): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    if (hop.has(name) || drop?.has(name)) continue
    out.push(name, raw[i + 1]!)
  }
  return out
}

/** The value of `name` in flat headers (joined with `, ` when repeated), or undefined. */
export function flatGet(flat: readonly string[], name: string): string | undefined {
  let v: string | undefined
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === name) v = v === undefined ? flat[i + 1] : `${v}, ${flat[i + 1]}`
  }
  return v
}

/** Flat headers as a record keyed by lower-case name, repeated values joined. */
export function flatRecord(flat: readonly string[]): Record<string, string> {
  // No prototype: an origin's field named `constructor` or `__proto__` is read as data.
  const out = Object.create(null) as Record<string, string>
  for (let i = 0; i < flat.length; i += 2) {
    const n = flat[i]!
    const prev = out[n]
    out[n] = prev === undefined ? flat[i + 1]! : n === 'set-cookie' ? prev : `${prev}, ${flat[i + 1]}`
  }
  return out
}

// RFC 9111 §3.2: fields a 304 must not replace in the stored response.
const KEEP_ON_UPDATE = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding'])

/**
 * The stored headers updated with a 304's (RFC 9111 §3.2, §4.3.4): each
 * field the 304 carries replaces the stored one, except the content's framing.
 */
export function updateHeaders(stored: readonly string[], fresh: readonly string[]): string[] {
  const replaced = new Set<string>()
  for (let i = 0; i < fresh.length; i += 2) if (!KEEP_ON_UPDATE.has(fresh[i]!)) replaced.add(fresh[i]!)
  const out: string[] = []
  for (let i = 0; i < stored.length; i += 2) if (!replaced.has(stored[i]!)) out.push(stored[i]!, stored[i + 1]!)
  for (let i = 0; i < fresh.length; i += 2) if (replaced.has(fresh[i]!)) out.push(fresh[i]!, fresh[i + 1]!)
  return out
}

/** The tag a URL's stored responses carry (`host` lower-case, `path` with query). */
export function urlTag(host: string, path: string): string {
  return `px:u:${host}${path}`
}

/** The tag for a path prefix that ends at a segment boundary (`/docs/`). */
export function prefixTag(host: string, prefix: string): string {
  return `px:p:${host}${prefix}`
}

/** The tag for a surrogate key (`Surrogate-Key` / `Cache-Tag`). */
export function surrogateTag(key: string): string {
  return `px:k:${key}`
}

const MAX_DEPTH = 8

/**
 * The tags of a stored response: its URL, each path prefix ending in `/` up
 * to eight segments deep (so a prefix purge is O(1), not a scan), and its
 * surrogate keys.
 */
export function tagsFor(host: string, path: string, surrogateKeys: readonly string[]): string[] {
  const tags = [urlTag(host, path)]
  const q = path.indexOf('?')
  const p = q === -1 ? path : path.slice(0, q)
  let i = 0
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const slash = p.indexOf('/', i)
    if (slash === -1) break
    tags.push(prefixTag(host, p.slice(0, slash + 1)))
    i = slash + 1
  }
  for (const k of surrogateKeys) tags.push(surrogateTag(k))
  return tags
}

/** The surrogate keys a response lists in `Surrogate-Key` (space-separated) and `Cache-Tag` (comma-separated). */
export function surrogateKeys(surrogateKey: string | undefined, cacheTag: string | undefined): string[] {
  const keys = new Set<string>()
  if (surrogateKey !== undefined) for (const k of surrogateKey.split(/\s+/)) if (k !== '') keys.add(k)
  if (cacheTag !== undefined) for (const k of cacheTag.split(',')) if (k.trim() !== '') keys.add(k.trim())
  return [...keys].slice(0, 64)
}
