/**
 * A 4-bit count-min sketch with periodic aging: the popularity estimate behind
 * the memory tier's W-TinyLFU admission (Einziger & Friedman, "TinyLFU: A Highly
 * Efficient Cache Admission Policy"; the shape Caffeine uses).
 *
 * Counters are packed eight to a 32-bit word. A key (given as a 32-bit hash the
 * store computed once when the entry was written) touches four counters, one
 * per row, all in one 64-byte block; its estimate is the smallest of the four,
 * so collisions can only inflate it. Counters saturate at 15 because admission
 * only needs to know "hotter than the victim", and after `10 × capacity`
 * accesses every counter is halved so that yesterday's hot set does not keep
 * today's out.
 * @module
 */

/** Keeps the low three bits of each nibble after a shift right by one: halves every counter at once. */
const HALF_MASK = 0x77777777
/** The low bit of each nibble, to count odd counters (their halving lost a half). */
const ONE_MASK = 0x11111111
/** Accesses between two halvings, per entry of capacity (the paper's sample size W = 10 × C, as Caffeine). */
const SAMPLE_FACTOR = 10

/**
 * Approximate access counts of keys by their 32-bit hashes, in 8 to 16 bytes
 * per cache entry (16 counters per entry, the entry count rounded up to a power
 * of two). `increment`, `pass` and `frequency` allocate nothing.
 *
 * As in Caffeine's current sketch, a key's four counters share one 64-byte block
 * (16 words), one row per group of four words, so an update touches one cache
 * line and needs two multiplications, not four.
 */
export class FrequencySketch {
  readonly #table: Int32Array
  readonly #blockMask: number
  /** Counted increments between two halvings. */
  readonly #sampleSize: number
  #additions = 0

  /** @param capacity - the cache's entry bound; the table has twice its next power of two in words (8 counters each) */
  constructor(capacity: number) {
    // Sixteen counters per entry (as Caffeine sizes it): fewer made small caches noisy.
    const words = 2 * nextPowerOfTwo(Math.max(8, Math.min(capacity, 2 ** 26)))
    // Int32 words: a counter update stays in 32-bit integer arithmetic (`| 0`), never a double.
    this.#table = new Int32Array(words)
    this.#blockMask = words / 16 - 1
    this.#sampleSize = Math.max(SAMPLE_FACTOR * capacity, 160)
  }

  /** The estimated number of recent accesses of `hash` (0–15). */
  frequency(hash: number): number {
    const t = this.#table
    const h = Math.imul(hash, 0x9e3779b1)
    const g = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    const b = ((h >>> 8) & this.#blockMask) << 4
    // Row r: word b + 4r + (2 bits of g), nibble (3 bits of g).
    let f = (t[b + (g & 3)]! >>> (((g >>> 2) & 7) << 2)) & 15
    let c = (t[b + 4 + ((g >>> 8) & 3)]! >>> (((g >>> 10) & 7) << 2)) & 15
    if (c < f) f = c
    c = (t[b + 8 + ((g >>> 16) & 3)]! >>> (((g >>> 18) & 7) << 2)) & 15
    if (c < f) f = c
    c = (t[b + 12 + ((g >>> 24) & 3)]! >>> (((g >>> 26) & 7) << 2)) & 15
    return c < f ? c : f
  }

  /** Counts one access of `hash`; every `10 × capacity` accesses (this and {@link pass}), halves all counters. */
  increment(hash: number): void {
    const t = this.#table
    const h = Math.imul(hash, 0x9e3779b1)
    const g = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    const b = ((h >>> 8) & this.#blockMask) << 4
    let added = 0
    let i = b + (g & 3)
    let s = ((g >>> 2) & 7) << 2
    if (((t[i]! >>> s) & 15) !== 15) {
      t[i] = (t[i]! + (1 << s)) | 0
      added = 1
    }
    i = b + 4 + ((g >>> 8) & 3)
    s = ((g >>> 10) & 7) << 2
    if (((t[i]! >>> s) & 15) !== 15) {
      t[i] = (t[i]! + (1 << s)) | 0
      added = 1
    }
    i = b + 8 + ((g >>> 16) & 3)
    s = ((g >>> 18) & 7) << 2
    if (((t[i]! >>> s) & 15) !== 15) {
      t[i] = (t[i]! + (1 << s)) | 0
      added = 1
    }
    i = b + 12 + ((g >>> 24) & 3)
    s = ((g >>> 26) & 7) << 2
    if (((t[i]! >>> s) & 15) !== 15) {
      t[i] = (t[i]! + (1 << s)) | 0
      added = 1
    }
    if (added === 1 && ++this.#additions >= this.#sampleSize) this.#age()
  }

  /**
   * Counts `n` accesses (default 1) toward the next halving without counting them
   * for any key: for accesses whose key is not tracked, so the sketch still ages
   * by requests.
   */
  pass(n = 1): void {
    this.#additions += n
    if (this.#additions >= this.#sampleSize) this.#age()
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
