/**
 * What the Hazelcast store keeps in its map, and how a key prefix becomes a
 * server-side predicate.
 *
 * An entry is the payload behind a 9-byte header carrying its absolute expiry:
 * Hazelcast's own TTL is kept in whole seconds (and a TTL under a second may
 * expire at once), so the server's TTL is rounded up to reclaim memory and
 * the header decides, to the millisecond, whether a read still sees it.
 *
 * ```
 * 0x00 expiresAt:f64 payload
 * ```
 * @module
 */

const KIND = 0x00
const HEADER = 9

/** The stored bytes: header then payload (one copy of the payload). */
export function encodeEntry(payload: Uint8Array, expiresAt: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.byteLength)
  out[0] = KIND
  out.writeDoubleBE(expiresAt, 1)
  out.set(payload, HEADER)
  return out
}

/** The payload of stored bytes (a view, no copy), or `undefined` when expired at `now` or not this store's. */
export function decodeEntry(stored: unknown, now: number): Uint8Array | undefined {
  if (!Buffer.isBuffer(stored) || stored.byteLength < HEADER || stored[0] !== KIND) return undefined
  if (stored.readDoubleBE(1) <= now) return undefined
  return stored.subarray(HEADER)
}

/**
 * The server-side TTL for an entry that lives `ttl` ms: whole seconds, at
 * least one, plus one so the server never drops an entry the header still
 * calls fresh; 0 (the map's default: no expiry) for `Infinity`.
 */
export function serverTtl(ttl: number): number {
  if (ttl === Number.POSITIVE_INFINITY) return 0
  return (Math.ceil(Math.max(ttl, 1) / 1000) + 1) * 1000
}

/**
 * A Java regular expression (what Hazelcast's `Predicates.regex` runs on the
 * members) that matches exactly the keys starting with `prefix`. Every ASCII
 * character that is not a letter or digit is escaped (Java reads a backslash
 * before such a character as the character itself); `(?s)` lets `.` match
 * the line breaks a key may hold.
 */
export function prefixPattern(prefix: string): string {
  return `(?s)${prefix.replace(/[^A-Za-z0-9\u0080-\uffff]/g, escapeChar)}.*`
}

function escapeChar(c: string): string {
  // Control characters as \xhh: a backslash before them is not defined in Java's syntax.
  const code = c.charCodeAt(0)
  return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : `\\${c}`
}
