/**
 * What the route cache stores for a response, and the per-entry precomputed
 * form its hit path writes without building anything per request.
 *
 * A stored response is plain data (numbers, strings, a string array and a
 * Buffer), so it round-trips through every tier's serializer and is shared
 * across processes through Redis. The prepared form lives on the object
 * under a symbol: made on the first hit in a process, never serialized.
 * @module
 */
import { createHash } from 'node:crypto'
import { RETAINED_304_HEADERS } from '../semantics/conditional.js'

/** A stored route response. Field names are short: they are stored once per entry in byte tiers. */
export interface StoredResponse {
  /** Format version. */
  readonly v: 1
  /** Status code. */
  readonly s: number
  /** Header fields, flat `[name, value, name, value, …]`, lower-case names, without Age, Date, Set-Cookie or hop-by-hop fields. */
  readonly h: string[]
  /** The body. */
  readonly b: Uint8Array
  /** Epoch ms when it was stored (the response time). */
  readonly t: number
  /** The `ETag` sent with it (the handler's, or a strong hash of the body). */
  readonly e: string
  /** The `Last-Modified` sent with it, if any. */
  readonly lm?: string
}

/**
 * Stored under the primary key when the handler's `Vary` names headers the
 * route does not key on: it lists them, and the responses live under
 * secondary keys (RFC 9111 §4.1).
 */
export interface VaryIndex {
  /** Format version. */
  readonly v: 1
  /** The varying request headers, sorted. */
  readonly vary: string[]
}

/** Is a stored value a {@link VaryIndex}? */
export function isVaryIndex(value: StoredResponse | VaryIndex): value is VaryIndex {
  return (value as VaryIndex).vary !== undefined
}

/** Precomputed headers for the hit path. Slots are overwritten in place just before a synchronous write. */
export interface Prepared {
  /** Flat headers of a full answer. */
  head: string[]
  /** Flat headers of a 304 answer (RFC 9110 §15.4.5). */
  head304: string[]
  /** Index of the Age value in `head`. */
  ageAt: number
  /** Index of the Age value in `head304`. */
  ageAt304: number
  /** Index of the Cache-Status value in `head` (-1 when the header is off). */
  statusAt: number
  /** Index of the Cache-Status value in `head304` (-1 when the header is off). */
  statusAt304: number
}

const PREPARED: unique symbol = Symbol('cachestack.prepared')
type WithPrepared = StoredResponse & { [PREPARED]?: Prepared }

/**
 * The hit-path form of `stored`, made once per entry object.
 * @param cacheStatus - the `Cache-Status` header value to start with, or undefined to send none
 */
export function prepared(stored: StoredResponse, cacheStatus: string | undefined): Prepared {
  const s = stored as WithPrepared
  let p = s[PREPARED]
  if (p === undefined) {
    p = prepare(stored, cacheStatus)
    Object.defineProperty(s, PREPARED, { value: p, enumerable: false, writable: true })
  }
  return p
}

function prepare(stored: StoredResponse, cacheStatus: string | undefined): Prepared {
  const head = stored.h.slice()
  const head304: string[] = []
  for (let i = 0; i < stored.h.length; i += 2) {
    if ((RETAINED_304_HEADERS as readonly string[]).includes(stored.h[i]!)) head304.push(stored.h[i]!, stored.h[i + 1]!)
  }
  head.push('age', '0')
  head304.push('age', '0')
  const ageAt = head.length - 1
  const ageAt304 = head304.length - 1
  let statusAt = -1
  let statusAt304 = -1
  if (cacheStatus !== undefined) {
    head.push('cache-status', cacheStatus)
    head304.push('cache-status', cacheStatus)
    statusAt = head.length - 1
    statusAt304 = head304.length - 1
  }
  return { head, head304, ageAt, ageAt304, statusAt, statusAt304 }
}

const AGES: string[] = []
/** The string for an Age value, interned for the first day so a hit allocates none. */
export function ageString(seconds: number): string {
  if (seconds < 86400) {
    let s = AGES[seconds]
    if (s === undefined) {
      s = String(seconds)
      AGES[seconds] = s
    }
    return s
  }
  return String(seconds)
}

/** A strong entity-tag from the body's bytes. */
export function bodyETag(body: Uint8Array): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`
}
