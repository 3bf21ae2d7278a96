/**
 * A 4-bit count-min sketch with periodic aging: the popularity estimate behind
 * the memory tier's W-TinyLFU admission (Einziger & Friedman, "TinyLFU: A Highly
 * Efficient Cache Admission Policy"; the shape Caffeine uses).
 *
 * Counters are packed eight to a 32-bit word. A key (given as a 32-bit hash the
 * store computed once when the entry was written) touches four counters, one per
 * row; its estimate is the smallest of the four, so collisions can only inflate
 * it. Counters saturate at 15 because admission only needs to know "hotter than
 * the victim", and after `10 × capacity` increments every counter is halved so
 * that yesterday's hot set does not keep today's out.
 * @module
 */

/** Keeps the low three bits of each nibble after a shift right by one: halves every counter at once. */
const HALF_MASK = 0x77777777
/** The low bit of each nibble, to count odd counters (their halving lost a half). */
const ONE_MASK = 0x11111111

/**
 * Approximate access counts of keys by their 32-bit hashes, in about four bytes
 * per cache entry. `increment` and `frequency` allocate nothing.
 */
export class FrequencySketch {
  readonly #table: Uint32Array
  readonly #mask: number
  /** Increments until the next halving. */
  readonly #sampleSize: number
  #additions = 0

  /** @param capacity - the cache's entry bound; the table is its next power of two, in words */
  constructor(capacity: number) {
    const words = nextPowerOfTwo(Math.max(16, Math.min(capacity, 2 ** 26)))
    this.#table = new Uint32Array(words)
    this.#mask = words - 1
    this.#sampleSize = Math.max(10 * capacity, 160)
  }

  /** The estimated number of recent accesses of `hash` (0–15). */
  frequency(hash: number): number {
    const t = this.#table
    const m = this.#mask
    // Row r reads nibble 2r or 2r+1 of its word, so the rows never share a counter.
    let h = Math.imul(hash, 0x9e3779b1)
    let f = (t[(h >>> 8) & m]! >>> ((h & 1) << 2)) & 15
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b)
    let c = (t[(h >>> 8) & m]! >>> (8 + ((h & 1) << 2))) & 15
    if (c < f) f = c
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    c = (t[(h >>> 8) & m]! >>> (16 + ((h & 1) << 2))) & 15
    if (c < f) f = c
    h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f)
    c = (t[(h >>> 8) & m]! >>> (24 + ((h & 1) << 2))) & 15
    return c < f ? c : f
  }

  /** Counts one access of `hash`; every `10 × capacity` counted accesses, halves all counters. */
  increment(hash: number): void {
    const t = this.#table
    const m = this.#mask
    let added = false
    let h = Math.imul(hash, 0x9e3779b1)
    let i = (h >>> 8) & m
    let s = (h & 1) << 2
    if (((t[i]! >>> s) & 15) !== 15) {
      t[i] = t[i]! + (1 << s)
      added = true
    }
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b)
    i = (h >>> 8) & m
    s = 8 + ((h & 1) << 2)
    if (((t[i]! >>> s) & 15) !== 15) {
      t[i] = t[i]! + (1 << s)
      added = true
    }
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    i = (h >>> 8) & m
    s = 16 + ((h & 1) << 2)
    if (((t[i]! >>> s) & 15) !== 15) {
      t[i] = t[i]! + (1 << s)
      added = true
    }
    h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f)
    i = (h >>> 8) & m
    s = 24 + ((h & 1) << 2)
    if (((t[i]! >>> s) & 15) !== 15) {
      t[i] = t[i]! + (1 << s)
      added = true
    }
    if (added && ++this.#additions >= this.#sampleSize) this.#age()
  }

  /** Forgets every count. */
  clear(): void {
    this.#table.fill(0)
    this.#additions = 0
  }

  /** Halves every counter, so the sketch follows the recent past rather than all of it. */
  #age(): void {
    const t = this.#table
    let odd = 0
    for (let i = 0; i < t.length; i++) {
      const w = t[i]!
      odd += popcount(w & ONE_MASK)
      t[i] = (w >>> 1) & HALF_MASK
    }
    // Each odd counter lost half an access to rounding; four rows per access.
    this.#additions = Math.max(0, (this.#additions - (odd >>> 2)) >>> 1)
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff
}

function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}

/**
 * A 32-bit FNV-1a hash of a string, computed once per write. The store keeps it
 * beside the entry, so a hit feeds the sketch without hashing the key again.
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  // A final mix: FNV's low bits are weak for short keys that differ in their last character.
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  return h ^ (h >>> 15)
}
