/**
 * Memcached keys and the store's own header. Memcached refuses keys over 250
 * bytes or holding spaces or control characters: those are stored under a
 * SHA-256 of the key, and the original key is kept in the header so that a
 * collision (or a foreign value) is detected and read as a miss, never served.
 * The header also carries the absolute expiry, since Memcached's own TTL has a
 * granularity of one second.
 *
 * ```
 * 0x00 expiresAt:f64 payload                       stored under its own key
 * 0x01 expiresAt:f64 len:u32 key:utf8 payload      stored under its hash
 * ```
 * @module
 */
import { createHash } from 'node:crypto'

const PLAIN = 0x00
const HASHED = 0x01

/** Memcached's longest key, in bytes. */
export const MAX_KEY_BYTES = 250

/** True when Memcached accepts `key` as it is: at most 250 bytes, no spaces, no control characters. */
export function validKey(key: string): boolean {
  if (key.length > MAX_KEY_BYTES) return false
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f) return false
  }
  return Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES
}

/** The hashed form of a key: `prefix` + `#` + base64url(SHA-256), 44 bytes after the prefix. */
export function hashedKey(prefix: string, key: string): string {
  return `${prefix}#${createHash('sha256').update(key, 'utf8').digest('base64url')}`
}

/** The stored bytes: header (with the key when it was hashed) then the payload. One copy of the payload. */
export function encodeItem(payload: Uint8Array, expiresAt: number, hashedFrom: string | undefined): Buffer {
  const keyBytes = hashedFrom === undefined ? undefined : Buffer.from(hashedFrom, 'utf8')
  const head = keyBytes === undefined ? 9 : 13 + keyBytes.byteLength
  const out = Buffer.allocUnsafe(head + payload.byteLength)
  out[0] = keyBytes === undefined ? PLAIN : HASHED
  out.writeDoubleBE(expiresAt, 1)
  if (keyBytes !== undefined) {
    out.writeUInt32BE(keyBytes.byteLength, 9)
    out.set(keyBytes, 13)
  }
  out.set(payload, head)
  return out
}

/**
 * The payload of stored bytes (a view, no copy), or `undefined` when they are
 * expired at `now`, not this store's, or written for another key (a collision).
 */
export function decodeItem(stored: Buffer | null, now: number, hashedFrom: string | undefined): Uint8Array | undefined {
  if (stored === null || stored.byteLength < 9) return undefined
  const kind = stored[0]
  if (stored.readDoubleBE(1) <= now) return undefined
  if (hashedFrom === undefined) return kind === PLAIN ? stored.subarray(9) : undefined
  if (kind !== HASHED || stored.byteLength < 13) return undefined
  const len = stored.readUInt32BE(9)
  if (13 + len > stored.byteLength || stored.toString('utf8', 13, 13 + len) !== hashedFrom) return undefined
  return stored.subarray(13 + len)
}
