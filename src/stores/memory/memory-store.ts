/**
 * The in-process tier: a bounded store over envelopes with two eviction
 * policies, W-TinyLFU (the default) and LRU. This policy is one file, larger
 * than most, on purpose: the hit path must stay a few monomorphic steps that V8
 * can inline, not calls across modules and objects.
 *
 * Layout (as lru-cache does it): every entry lives in a slot; links, expiry,
 * sizes, hashes and segment tags are typed arrays allocated once, so a hit
 * moves integers and allocates nothing.
 *
 * W-TinyLFU (Einziger, Friedman & Manes, "TinyLFU: A Highly Efficient Cache
 * Admission Policy"; the design of Caffeine): a new entry enters a small LRU
 * window (1 % of `maxEntries`). An entry pushed out of the window becomes a
 * candidate for the main space, a segmented LRU of a probation part and a
 * protected part (80 % of main). When the store is full, the candidate is
 * admitted only if a {@link FrequencySketch} says it was accessed more often
 * recently than the probation victim it would replace; otherwise the candidate
 * is dropped. So a one-off scan passes through the window without flushing the
 * hot set, which is what plain LRU does.
 *
 * One addition to Caffeine's design: a shift detector (`#endBlock`). When the
 * whole hot set moves, the protected segment keeps shielding the dead one; the
 * detector sees the hit ratio drop while new entries are re-read, and moves the
 * protected entries that went idle at that moment to the old end of probation.
 * @module
 */
import type { Clock } from '../../core/clock.js'
import { systemClock } from '../../core/clock.js'
import { parseSize, type Size } from '../../core/duration.js'
import type { Envelope } from '../../core/envelope.js'
import { invalidOption } from '../../core/errors.js'
import type { EvictionReason, StoreContext, StoreSize, StoreWrite, SyncStore } from '../../core/store.js'
import { FrequencySketch, hashKey } from './frequency-sketch.js'
import { estimateSize } from './size.js'
import type { MemoryValues } from './value-modes.js'

/** The eviction policies of {@link memoryStore}. */
export type MemoryPolicy = 'tinylfu' | 'lru'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most entries held; never exceeded. Memory for the slots (about 45 bytes
   * per slot with `'lru'`, 61–69 with `'tinylfu'`) is allocated up front.
   * @defaultValue 10_000
   */
  maxEntries?: number
  /**
   * The most bytes held, as weighed by `sizeOf`; never exceeded. An entry larger
   * than the whole budget is refused, not stored: it is counted in
   * {@link MemoryStore.refused} and reported as an eviction with reason `'too-large'`.
   * Bytes are always counted (a walk of each value written, never of a read), so
   * `size().bytes` and the dashboard show what the tier holds; pass `Infinity`
   * to lift the bound (bytes are still counted).
   * @defaultValue `'256mb'`
   */
  maxBytes?: Size
  /**
   * Weighs a value in bytes for `maxBytes`. Receives the cached value (not the envelope) and its key.
   * Called once per write.
   * @defaultValue {@link estimateSize} of the value (a binary view weighs the
   * backing store it keeps alive) plus the key and the entry's own overhead
   */
  sizeOf?: (value: unknown, key: string) => number
  /**
   * Which entry to drop when full.
   * - `'tinylfu'`: W-TinyLFU. Keeps the frequently used entries through scans,
   *   loops and one-off bursts; on skewed (Zipf-like) traffic it holds as many
   *   hits as LRU or more. Costs a frequency-sketch update per miss and per hit in
   *   its small admission window (no allocation), a clock stamp per hit, and
   *   16–24 bytes per slot. When the whole hot set moves at once, a shift
   *   detector retires the old one, and the new one is held within a few thousand
   *   requests (LRU: about half that).
   * - `'lru'`: least recently used. Slightly faster per operation; best when the
   *   newest entries are nearly always the ones read next (recency-only traffic).
   * @defaultValue 'tinylfu'
   */
  policy?: MemoryPolicy
  /**
   * How often to sweep expired entries in the background (an unref'd timer).
   * Expired entries are otherwise reclaimed when read or evicted by the policy.
   * @defaultValue no sweep
   */
  purgeInterval?: number
  /**
   * How values are handed out: `'shared'` references (no copy; a reader's
   * mutation is seen by the next reader; a class instance stays one here but
   * comes back as a plain object from a byte tier), `'clone'` (a copy in and out,
   * shaped as a byte tier returns it: the same answer from every tier), or
   * `'freeze'` (deep-frozen on write: a mutation throws; for development).
   * See {@link MemoryValues}.
   * @defaultValue 'shared'
   */
  values?: MemoryValues
}

const NO_EXPIRY = Number.POSITIVE_INFINITY
/** The byte bound when none is given: `'256mb'`. */
const DEFAULT_MEMORY_MAX_BYTES = 256 * 1024 * 1024
/** What an entry costs besides its key and value: envelope, slot and Map entry. */
const ENTRY_OVERHEAD = 96
/** Segments. With `'lru'` every entry is in the window and the window is the whole store. */
const WINDOW = 0
const PROBATION = 1
const PROTECTED = 2
/** A candidate at least this warm is admitted over a hotter victim 1 time in 128, so crafted collisions cannot pin the main space. */
const WARM_CANDIDATE = 6
/**
 * The shift detector (TinyLFU only) works in blocks of this many accesses
 * (hits plus misses); a block whose hit ratio falls `SHIFT_DROP` (15 points)
 * below the running average is a suspected shift of the hot set.
 */
const SHIFT_BLOCK = 500
const SHIFT_DROP = 0.15
/** How far back (in blocks: 16,000 accesses) an entry counts as "in use just before the shift". */
const SHIFT_LOOKBACK = 32
/**
 * Blocks after a detected shift before another can be detected: at least 20, and
 * at least `maxEntries` accesses, so the walk of the protected segment a shift
 * costs is at most one step per access.
 */
const SHIFT_COOLDOWN = 20
/** Where a victim is sought when no candidate is pending. */
const SEARCH_ORDER = [PROBATION, PROTECTED, WINDOW] as const

/**
 * The memory tier. Create it with {@link memoryStore}.
 * `get` of a present key reads the clock only for entries that expire, records
 * the access (moves the entry within its segment; with `'tinylfu'`, counts it in
 * the sketch) and returns it: no allocation, no promise.
 */
export class MemoryStore implements SyncStore {
  readonly name = 'memory'
  readonly binary = false as const
  /** The entry bound. */
  readonly maxEntries: number
  /** The byte bound (`Infinity` when lifted). */
  readonly maxBytes: number
  /** The eviction policy. */
  readonly policy: MemoryPolicy

  #map = new Map<string, number>()
  #keys: (string | undefined)[]
  #vals: (Envelope | undefined)[]
  #expires: Float64Array
  #sizes: Float64Array
  /**
   * Links. Each segment is a circular list through a sentinel slot
   * (`#base + segment`), so linking and unlinking never branch on an end.
   * `next` runs from most to least recent.
   */
  #next: Uint32Array
  #prev: Uint32Array
  #base: number
  #free: Uint32Array
  #freeTop = 0
  #fill = 0
  /** Segment of each slot (always `WINDOW` with `'lru'`). */
  #where: Uint8Array
  #windowCount = 0
  #protectedCount = 0
  #windowMax: number
  #protectedMax: number
  /** Key hashes, kept so a hit feeds the sketch without hashing the key again (`'tinylfu'` only). */
  #hashes: Int32Array | undefined
  #sketch: FrequencySketch | undefined
  /**
   * The shift detector's state (`'tinylfu'` only), in blocks of
   * {@link SHIFT_BLOCK} accesses: `#block` is the current block's number and
   * `#stamps[2 × slot]` the block of the entry's last hit (or its write), and
   * `#stamps[2 × slot + 1]` the block it was written in (a new key; an overwrite
   * keeps it), both modulo 2^16: side by side, so a hit reads and writes one
   * cache line, in 4 bytes per slot. See
   * {@link MemoryStore.#endBlock}.
   */
  #stamps: Uint16Array | undefined
  #block = 0
  /** Hits, of them hits in the window, and misses (new entries written) in the current block. */
  #hits = 0
  #windowHits = 0
  #misses = 0
  /**
   * Hits in the protected segment on entries written in the last `#youngSpan`
   * blocks (`(#block − written) mod 2^16 ≤ #youngSpan`) count as young: since the
   * suspected drop, or else since the previous block began.
   */
  #youngSpan = 0
  /**
   * Young hits in this block (see `#youngSpan`): new entries read again after
   * earning the protected segment, that is, read at least three times.
   */
  #young = 0
  #avgHitRatio = -1
  #avgYoung = 0
  /** The block of a suspected shift, until the next block confirms or clears it; -1 for none. */
  #suspect = -1
  #cooldown = 0
  #cooldownBlocks = SHIFT_COOLDOWN
  /**
   * Entries demoted by the last detected shift: last hit in the
   * {@link SHIFT_LOOKBACK} blocks before `#deadBefore`, and not hit since; -1 for none.
   */
  #deadBefore = -1
  #random = 0x2545f491
  #bytes = 0
  #refused = 0
  #evictions = 0
  #sizeOf: (value: unknown, key: string) => number
  #clock: Clock = systemClock
  #onEvict: (key: string, reason: EvictionReason) => void = () => {}
  #timer: NodeJS.Timeout | undefined

  /** @param options - see {@link MemoryStoreOptions} */
  constructor(options: MemoryStoreOptions = {}) {
    const max = options.maxEntries ?? 10_000
    if (!Number.isInteger(max) || max < 1 || max > 2 ** 31) {
      throw invalidOption('maxEntries', 'an integer between 1 and 2^31', max)
    }
    const policy = options.policy ?? 'tinylfu'
    if (policy !== 'tinylfu' && policy !== 'lru') throw invalidOption('policy', "'tinylfu' or 'lru'", policy)
    this.policy = policy
    this.maxEntries = max
    this.maxBytes = options.maxBytes === undefined ? DEFAULT_MEMORY_MAX_BYTES : parseSize(options.maxBytes, 'maxBytes')
    if (options.sizeOf !== undefined && typeof options.sizeOf !== 'function') {
      throw invalidOption('sizeOf', 'a function (value, key) => bytes', options.sizeOf)
    }
    // One slot more than the bound: a new entry is linked before the policy picks who leaves.
    const slots = max + 1
    this.#base = slots
    this.#keys = new Array(slots).fill(undefined)
    this.#vals = new Array(slots).fill(undefined)
    this.#expires = new Float64Array(slots)
    this.#next = new Uint32Array(slots + 3)
    this.#prev = new Uint32Array(slots + 3)
    this.#free = new Uint32Array(slots)
    this.#where = new Uint8Array(slots)
    this.#resetLinks()
    if (policy === 'tinylfu') {
      this.#windowMax = Math.max(1, Math.round(max * 0.01))
      this.#protectedMax = Math.floor((max - this.#windowMax) * 0.8)
      this.#hashes = new Int32Array(slots)
      this.#sketch = new FrequencySketch(max)
      // Block numbers modulo 2^16 (compared by their difference, see `#inLookback`):
      // 4 bytes per slot, and a hit writes one 16-bit stamp.
      this.#stamps = new Uint16Array(2 * slots)
      this.#cooldownBlocks = Math.max(SHIFT_COOLDOWN, Math.ceil(max / SHIFT_BLOCK))
    } else {
      this.#windowMax = max
      this.#protectedMax = 0
    }
    this.#sizes = new Float64Array(slots)
    this.#sizeOf = options.sizeOf ?? defaultSizeOf
    if (options.purgeInterval !== undefined) {
      if (!(options.purgeInterval > 0))
        throw invalidOption('purgeInterval', 'a number of milliseconds > 0', options.purgeInterval)
      this.#timer = setInterval(() => this.purgeExpired(), options.purgeInterval)
      this.#timer.unref()
    }
  }

  /** @internal called by the cache */
  init(ctx: StoreContext): void {
    this.#clock = ctx.clock
    this.#onEvict = ctx.onEvict
  }

  /** The entry under `key`, unless absent or expired. Records the access. */
  get(key: string): Envelope | undefined {
    const i = this.#map.get(key)
    if (i === undefined) return undefined
    const exp = this.#expires[i]!
    if (exp !== NO_EXPIRY && exp <= this.#clock.now()) return this.#expire(i, key)
    if (this.#sketch !== undefined) {
      // Only window hits are counted (with misses, counted by `set`): an entry in the
      // main space has already won admission, and skipping the sketch keeps the common
      // hit as cheap as LRU's. Those hits still count toward aging (in one step per
      // block of the shift detector), so the sketch ages by requests, as TinyLFU's
      // sample window intends. Hit ratios were the same on bench/hit-ratio.ts's traces
      // but loops (a few points lower, still far above LRU).
      const seg = this.#where[i]!
      if (seg === WINDOW) this.#windowHit(i)
      this.#hits++
      this.#touch(i, seg)
    } else if (this.#next[this.#base] !== i) {
      this.#unlink(i)
      this.#linkAfter(i, this.#base)
    }
    return this.#vals[i]
  }

  /** Drops an entry found expired by a read (out of line: the hit path stays small enough to inline). */
  #expire(i: number, key: string): undefined {
    this.#remove(i)
    this.#onEvict(key, 'expired')
    return undefined
  }

  /** A hit in the TinyLFU window counts in the sketch. */
  #windowHit(i: number): void {
    this.#sketch!.increment(this.#hashes![i]!)
    this.#windowHits++
  }

  /** The entry under `key` without touching recency, frequency or expiry. */
  peek(key: string): Envelope | undefined {
    const i = this.#map.get(key)
    return i === undefined ? undefined : this.#vals[i]
  }

  /** Stores `value` until `expiresAt`, letting the policy evict past the bounds. */
  set(key: string, value: Envelope, expiresAt: number): void {
    let size = this.#sizeOf(value.value, key)
    // Whole bytes keep the running total exact.
    size = size >= 0 ? Math.ceil(size) : 0
    if (size > this.maxBytes || size === NO_EXPIRY) {
      const old = this.#map.get(key)
      if (old !== undefined) this.#remove(old)
      this.#refused++
      this.#onEvict(key, 'too-large')
      return
    }
    let i = this.#map.get(key)
    if (i !== undefined) {
      this.#vals[i] = value
      this.#expires[i] = expiresAt
      this.#bytes += size - this.#sizes[i]!
      this.#sizes[i] = size
      if (this.#sketch !== undefined) {
        if (this.#where[i] === WINDOW) this.#sketch.increment(this.#hashes![i]!)
        else this.#sketch.pass()
        this.#touch(i, this.#where[i]!)
      } else if (this.#next[this.#base] !== i) {
        this.#unlink(i)
        this.#linkAfter(i, this.#base)
      }
      if (this.#bytes > this.maxBytes) this.#evict(-1, 0, i)
      return
    }
    i = this.#freeTop > 0 ? this.#free[--this.#freeTop]! : this.#fill++
    this.#keys[i] = key
    this.#vals[i] = value
    this.#expires[i] = expiresAt
    this.#sizes[i] = size
    this.#bytes += size
    this.#map.set(key, i)
    this.#where[i] = WINDOW
    this.#linkAfter(i, this.#base)
    this.#windowCount++
    if (this.#sketch === undefined) {
      if (this.#windowCount > this.maxEntries || this.#bytes > this.maxBytes) this.#evict(-1, 0, i)
      return
    }
    const h = hashKey(key)
    this.#hashes![i] = h
    this.#sketch.increment(h)
    this.#stamps![2 * i] = this.#block
    this.#stamps![2 * i + 1] = this.#block
    if (++this.#misses + this.#hits >= SHIFT_BLOCK) this.#endBlock()
    // The window's overflow moves to probation; the first moved is the first candidate.
    let candidate = -1
    let candidates = 0
    while (this.#windowCount > this.#windowMax) {
      const t = this.#prev[this.#base]!
      this.#unlink(t)
      this.#where[t] = PROBATION
      this.#linkAfter(t, this.#base + PROBATION)
      this.#windowCount--
      if (candidate === -1) candidate = t
      candidates++
    }
    if (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) this.#evict(candidate, candidates, i)
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    const i = this.#map.get(key)
    if (i === undefined) return false
    this.#remove(i)
    return true
  }

  /** Stores several entries in one synchronous loop: a batched write (`cache.setMany`) costs no promise per entry. */
  setMany(entries: readonly StoreWrite<Envelope>[]): void {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!
      this.set(e.key, e.value, e.expiresAt)
    }
  }

  /** Removes several keys in one synchronous loop. */
  deleteMany(keys: readonly string[]): void {
    for (let i = 0; i < keys.length; i++) this.delete(keys[i]!)
  }

  /** Removes every key starting with `prefix`, or everything (and the frequency history). */
  clear(prefix = ''): void {
    if (prefix === '') {
      this.#map.clear()
      this.#keys.fill(undefined)
      this.#vals.fill(undefined)
      this.#sizes.fill(0)
      this.#resetLinks()
      this.#sketch?.clear()
      this.#resetShiftDetector()
      this.#windowCount = 0
      this.#protectedCount = 0
      this.#freeTop = 0
      this.#fill = 0
      this.#bytes = 0
      return
    }
    for (const [key, i] of this.#map) if (key.startsWith(prefix)) this.#remove(i)
  }

  /** Removes every expired entry now; returns how many. */
  purgeExpired(): number {
    const now = this.#clock.now()
    let n = 0
    for (const [key, i] of this.#map) {
      if (this.#expires[i]! <= now) {
        this.#remove(i)
        this.#onEvict(key, 'expired')
        n++
      }
    }
    return n
  }

  /** Entries and bytes held, as weighed by `sizeOf`. */
  size(): StoreSize {
    return { entries: this.#map.size, bytes: this.#bytes }
  }

  /** The number of entries held. */
  get entries(): number {
    return this.#map.size
  }

  /** The bytes held, as weighed by `sizeOf`. */
  get bytes(): number {
    return this.#bytes
  }

  /** Writes refused because the entry alone weighed more than `maxBytes`. */
  get refused(): number {
    return this.#refused
  }

  /** Entries dropped to stay within the bounds (candidates the policy did not admit included). */
  get evictions(): number {
    return this.#evictions
  }

  /**
   * Keys in the order the policy values them, most valued first; the last is the
   * next to be evicted. LRU: most to least recently used. TinyLFU: the window,
   * then the protected segment, then probation, each most recent first.
   * For inspection and tests; allocates.
   */
  *keys(): IterableIterator<string> {
    for (const seg of [WINDOW, PROTECTED, PROBATION]) {
      const s = this.#base + seg
      for (let i = this.#next[s]!; i !== s; i = this.#next[i]!) yield this.#keys[i]!
    }
  }

  /** The sketch's estimate of recent accesses of `key` (0–15; always 0 with `'lru'`). For inspection and tests. */
  frequency(key: string): number {
    return this.#sketch === undefined ? 0 : this.#sketch.frequency(hashKey(key))
  }

  /** Stops the purge timer. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
  }

  /** A TinyLFU hit: probation entries earn the protected segment; the rest move to their segment's head. */
  #touch(i: number, seg: number): void {
    const stamps = this.#stamps!
    if (seg === PROBATION) {
      const protectedList = this.#base + PROTECTED
      this.#unlink(i)
      this.#where[i] = PROTECTED
      this.#linkAfter(i, protectedList)
      if (++this.#protectedCount > this.#protectedMax) {
        const t = this.#prev[protectedList]!
        this.#unlink(t)
        this.#where[t] = PROBATION
        this.#linkAfter(t, this.#base + PROBATION)
        this.#protectedCount--
      }
    } else {
      // A new entry read again once protected is a sign of a shift. Only such
      // third reads count: a burst of new keys each read once more (written, then
      // shown) is no shift, and must not retire the hot set.
      if (seg === PROTECTED && ((this.#block - stamps[2 * i + 1]!) & 0xffff) <= this.#youngSpan) this.#young++
      const s = this.#base + seg
      if (this.#next[s] !== i) {
        this.#unlink(i)
        this.#linkAfter(i, s)
      }
    }
    stamps[2 * i] = this.#block
  }

  /**
   * Evicts until both bounds hold. `candidates` entries, the oldest at slot
   * `candidate`, have just left the TinyLFU window for probation; each is
   * admitted only if the sketch rates it above the victim it would displace.
   * The entry just written (slot `keep`) stays: it alone fits both bounds.
   */
  #evict(candidate: number, candidates: number, keep: number): void {
    while (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) {
      if (candidates === 0) {
        const victim = this.#plainVictim(keep)
        if (victim === -1) return
        this.#evictSlot(victim)
        continue
      }
      // Candidates sit at probation's recent end; a victim is taken from its old end,
      // or from protected when probation holds nothing but candidates.
      const probation = this.#map.size - this.#windowCount - this.#protectedCount
      const victim =
        probation > candidates
          ? this.#prev[this.#base + PROBATION]!
          : this.#protectedCount > 0
            ? this.#prev[this.#base + PROTECTED]!
            : -1
      if (victim !== -1 && this.#admit(candidate, victim)) {
        this.#evictSlot(victim)
      } else {
        const next = this.#prev[candidate]!
        this.#evictSlot(candidate)
        candidate = next
        candidates--
      }
    }
  }

  /**
   * Ends a block of the shift detector. Run from the miss path only (a hit costs
   * one clock stamp), so a block may run a little past {@link SHIFT_BLOCK}.
   *
   * Why: W-TinyLFU's protected segment shields yesterday's hot set, so when the
   * whole hot set moves, the dead one keeps most of the main space and the new
   * keys must squeeze through probation. A shift shows as a sudden drop of the hit
   * ratio (a block {@link SHIFT_DROP} below its running average) while *new* entries
   * are read again and again (hits in the protected segment on entries written
   * since the drop rise). A scan drops the hit ratio too, but its keys are never
   * re-read, and a burst of new keys each read once more after its write (create,
   * then view) reads none of them a third time: neither is confirmed and nothing moves.
   * On a confirmed shift, protected entries that were hit in the
   * {@link SHIFT_LOOKBACK} blocks before the drop and not since are moved to the
   * old end of probation, where they are the next victims and lose admission
   * contests until hit again; entries that were idle already (rarely read but alive)
   * stay where they are.
   */
  #endBlock(): void {
    const block = this.#block
    const n = this.#hits + this.#misses
    const ratio = this.#hits / n
    const young = this.#young / n
    if (this.#avgHitRatio < 0) {
      this.#avgHitRatio = ratio
      this.#avgYoung = young
    }
    if (this.#suspect >= 0) {
      if (young > 2 * this.#avgYoung + 0.03) {
        this.#retire(this.#suspect)
        this.#cooldown = this.#cooldownBlocks
      }
      this.#suspect = -1
    } else if (this.#cooldown > 0) {
      this.#cooldown--
    } else if (ratio < this.#avgHitRatio - SHIFT_DROP) {
      this.#suspect = block
    }
    // Young next block: written or hit since the suspected block began, or else since this one began.
    this.#youngSpan = block + 1 - (this.#suspect >= 0 ? this.#suspect : block)
    // Stamps wrap at 2^16 blocks: forget a shift long past before its stamps could alias.
    if (this.#deadBefore >= 0 && block - this.#deadBefore > 0x4000) this.#deadBefore = -1
    this.#avgHitRatio = 0.9 * this.#avgHitRatio + 0.1 * ratio
    this.#avgYoung = 0.9 * this.#avgYoung + 0.1 * young
    // Main-space hits count toward the sketch's aging here, in one step per block:
    // the hit path stays free of it.
    this.#sketch!.pass(this.#hits - this.#windowHits)
    this.#young = 0
    this.#hits = 0
    this.#windowHits = 0
    this.#misses = 0
    this.#block = block + 1
  }

  /** Moves protected entries last hit in the {@link SHIFT_LOOKBACK} blocks before block `before` to the old end of probation. */
  #retire(before: number): void {
    this.#deadBefore = before
    const s = this.#base + PROTECTED
    const probationList = this.#base + PROBATION
    // Most recent first, each appended at probation's old end: the least recent ends last, next to go.
    for (let i = this.#next[s]!; i !== s; ) {
      const next = this.#next[i]!
      if (inLookback(before, this.#stamps![2 * i]!)) {
        this.#unlink(i)
        this.#where[i] = PROBATION
        this.#linkAfter(i, this.#prev[probationList]!)
        this.#protectedCount--
      }
      i = next
    }
  }

  #resetShiftDetector(): void {
    this.#stamps?.fill(0)
    this.#block = 0
    this.#hits = 0
    this.#windowHits = 0
    this.#misses = 0
    this.#youngSpan = 0
    this.#young = 0
    this.#avgHitRatio = -1
    this.#avgYoung = 0
    this.#suspect = -1
    this.#cooldown = 0
    this.#deadBefore = -1
  }

  /** Whether `candidate` should replace `victim`: it must be more frequent (or, rarely, warm). */
  #admit(candidate: number, victim: number): boolean {
    const sketch = this.#sketch!
    // A victim the shift detector demoted (in use just before the shift, not since)
    // keeps no claim from its old popularity.
    if (this.#deadBefore >= 0 && inLookback(this.#deadBefore, this.#stamps![2 * victim]!)) return true
    const c = sketch.frequency(this.#hashes![candidate]!)
    const v = sketch.frequency(this.#hashes![victim]!)
    if (c > v) return true
    if (c < WARM_CANDIDATE) return false
    // xorshift: a cheap deterministic coin.
    let x = this.#random
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.#random = x
    return (x & 127) === 0
  }

  /**
   * The entry to drop when no candidate is pending: the oldest of probation,
   * protected, then window, never `keep` (which is always its segment's head).
   * -1 when only `keep` is left.
   */
  #plainVictim(keep: number): number {
    for (const seg of SEARCH_ORDER) {
      const s = this.#base + seg
      let t = this.#prev[s]!
      if (t === keep) t = this.#prev[t]!
      if (t !== s) return t
    }
    return -1
  }

  #evictSlot(i: number): void {
    const key = this.#keys[i]!
    this.#remove(i)
    this.#evictions++
    this.#onEvict(key, 'capacity')
  }

  #remove(i: number): void {
    this.#map.delete(this.#keys[i]!)
    this.#unlink(i)
    const seg = this.#where[i]!
    if (seg === WINDOW) this.#windowCount--
    else if (seg === PROTECTED) this.#protectedCount--
    this.#keys[i] = undefined
    this.#vals[i] = undefined
    this.#bytes -= this.#sizes[i]!
    this.#sizes[i] = 0
    this.#free[this.#freeTop++] = i
  }

  #resetLinks(): void {
    for (let s = this.#base; s < this.#base + 3; s++) {
      this.#next[s] = s
      this.#prev[s] = s
    }
  }

  /** Links slot `i` right after `s` (a sentinel: `i` becomes that segment's most recent). */
  #linkAfter(i: number, s: number): void {
    const n = this.#next[s]!
    this.#next[i] = n
    this.#prev[i] = s
    this.#prev[n] = i
    this.#next[s] = i
  }

  #unlink(i: number): void {
    const p = this.#prev[i]!
    const n = this.#next[i]!
    this.#next[p] = n
    this.#prev[n] = p
  }
}

/** The default weight of an entry: its value, its key (UTF-16) and its overhead. */
function defaultSizeOf(value: unknown, key: string): number {
  return estimateSize(value) + 16 + key.length * 2 + ENTRY_OVERHEAD
}

/**
 * Whether a block stamp (modulo 2^16) falls in the {@link SHIFT_LOOKBACK}
 * blocks before block `before`.
 */
function inLookback(before: number, stamp: number): boolean {
  const age = (before - stamp) & 0xffff
  return age >= 1 && age <= SHIFT_LOOKBACK
}
