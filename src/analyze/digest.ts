/**
 * 32-bit FNV-1a-style digests: of a key (to sample keys and to remember them
 * without keeping their strings) and of a result (to see whether it changed).
 * Not cryptographic: a collision only makes two keys or two results look the
 * same to the analyzer, which at these counts changes no figure it prints.
 * @module
 */

const OFFSET = 0x811c9dc5
const PRIME = 0x01000193

/**
 * @internal FNV-1a over a string's UTF-16 code units, two at a time (a body of
 * a few KB is digested in a microsecond or two), continuing from `h`.
 */
export function digestString(s: string, h = OFFSET): number {
  const n = s.length - 1
  let i = 0
  for (; i < n; i += 2) h = Math.imul(h ^ (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)), PRIME)
  if (i === n) h = Math.imul(h ^ s.charCodeAt(i), PRIME)
  return h >>> 0
}

/**
 * @internal FNV-1a over bytes, four at a time where the bytes are aligned (a
 * Buffer from Node's pool is), continuing from `h`, so a streamed body is
 * digested chunk by chunk.
 */
export function digestBytes(b: Uint8Array, h = OFFSET): number {
  let i = 0
  if ((b.byteOffset & 3) === 0 && b.length >= 16) {
    const words = new Int32Array(b.buffer, b.byteOffset, b.length >> 2)
    for (let w = 0; w < words.length; w++) h = Math.imul(h ^ words[w]!, PRIME)
    i = words.length << 2
  }
  for (; i < b.length; i++) h = Math.imul(h ^ b[i]!, PRIME)
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

/**
 * @internal A key's digest with its bits mixed (murmur3's finaliser), so its
 * high bits are uniform: the recorder samples keys by comparing it with a threshold.
 */
export function digestKey(key: string): number {
  let h = digestString(key)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
