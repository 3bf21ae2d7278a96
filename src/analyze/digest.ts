/**
 * 32-bit FNV-1a digests: of a key (to sample keys and to remember them
 * without keeping their strings) and of a result (to see whether it changed).
 * Not cryptographic: a collision only makes two keys or two results look the
 * same to the analyzer, which at these counts changes no figure it prints.
 * @module
 */

const OFFSET = 0x811c9dc5
const PRIME = 0x01000193

/** @internal FNV-1a of a string's UTF-16 code units, continuing from `h`. */
export function digestString(s: string, h = OFFSET): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), PRIME)
  return h >>> 0
}

/** @internal FNV-1a of bytes, continuing from `h` (so a streamed body is digested chunk by chunk). */
export function digestBytes(b: Uint8Array, h = OFFSET): number {
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, PRIME)
  return h >>> 0
}

/** @internal The digest to start a streamed body from. */
export const DIGEST_START = OFFSET

/**
 * @internal A digest of any result: bytes and strings as they are, anything
 * else through JSON; `undefined` when it cannot be serialised (then stability
 * is not judged for that call).
 */
export function digestValue(v: unknown): number | undefined {
  if (typeof v === 'string') return digestString(v)
  if (v instanceof Uint8Array) return digestBytes(v)
  try {
    const json = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))
    return json === undefined ? digestString(typeof v) : digestString(json)
  } catch {
    return undefined
  }
}
