/**
 * The in-process tier: a bounded LRU over envelopes. Links live in typed
 * arrays allocated once (as lru-cache does), so a hit moves two integers and
 * allocates nothing, and the byte accounting runs only when `maxBytes` is set.
 * @module
 */
import type { Clock } from '../../core/clock.js'
import { systemClock } from '../../core/clock.js'
import { parseSize, type Size } from '../../core/duration.js'
import type { Envelope } from '../../core/envelope.js'
import { invalidOption } from '../../core/errors.js'
import type { EvictionReason, StoreContext, StoreSize, SyncStore } from '../../core/store.js'
import { estimateSize } from './size.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most entries held; the least recently used is evicted past it.
   * Memory for the links (about 12 bytes per slot) is allocated up front.
   * @defaultValue 10_000
   */
  maxEntries?: number
  /**
   * The most bytes held, as weighed by `sizeOf`. An entry larger than the whole
   * budget is refused (and counted as an eviction with reason `'too-large'`).
   * Weighing costs a walk of each value written; leave unset to skip it.
   * @defaultValue unbounded
   */
  maxBytes?: Size
  /**
   * Weighs a value in bytes for `maxBytes`. Receives the cached value (not the envelope) and its key.
   * @defaultValue {@link estimateSize} of the value plus the key
   */
  sizeOf?: (value: unknown, key: string) => number
  /**
   * How often to sweep expired entries in the background (an unref'd timer).
   * Expired entries are otherwise reclaimed when read or evicted by LRU.
   * @defaultValue no sweep
   */
  purgeInterval?: number
}

const NO_EXPIRY = Number.POSITIVE_INFINITY

/**
 * The memory tier. Create it with {@link memoryStore}.
 * `get` of a present key reads the clock only for entries that expire, moves the
 * entry to the front of the LRU list and returns it: no allocation, no promise.
 */
export class MemoryStore implements SyncStore {
  readonly name = 'memory'
  readonly binary = false as const
  /** The entry bound. */
  readonly maxEntries: number
  /** The byte bound (`Infinity` when unset). */
  readonly maxBytes: number

  #map = new Map<string, number>()
  #keys: (string | undefined)[]
  #vals: (Envelope | undefined)[]
  #expires: Float64Array
  #sizes: Float64Array | undefined
  #next: Uint32Array
  #prev: Uint32Array
  #free: Uint32Array
  #freeTop = 0
  #fill = 0
  #head: number
  #tail: number
  #nil: number
  #bytes = 0
  #sizeOf: ((value: unknown, key: string) => number) | undefined
  #clock: Clock = systemClock
  #onEvict: (key: string, reason: EvictionReason) => void = () => {}
  #timer: NodeJS.Timeout | undefined

  /** @param options - see {@link MemoryStoreOptions} */
  constructor(options: MemoryStoreOptions = {}) {
    const max = options.maxEntries ?? 10_000
    if (!Number.isInteger(max) || max < 1 || max > 2 ** 31) {
      throw invalidOption('maxEntries', 'an integer between 1 and 2^31', max)
    }
    this.maxEntries = max
    this.maxBytes = options.maxBytes === undefined ? NO_EXPIRY : parseSize(options.maxBytes, 'maxBytes')
    if (options.sizeOf !== undefined && typeof options.sizeOf !== 'function') {
      throw invalidOption('sizeOf', 'a function (value, key) => bytes', options.sizeOf)
    }
    this.#nil = max
    this.#head = max
    this.#tail = max
    this.#keys = new Array(max).fill(undefined)
    this.#vals = new Array(max).fill(undefined)
    this.#expires = new Float64Array(max)
    this.#next = new Uint32Array(max)
    this.#prev = new Uint32Array(max)
    this.#free = new Uint32Array(max)
    if (this.maxBytes !== NO_EXPIRY || options.sizeOf !== undefined) {
      this.#sizes = new Float64Array(max)
      this.#sizeOf = options.sizeOf ?? ((value, key) => estimateSize(value) + 16 + key.length * 2 + 96)
    }
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

  /** The entry under `key`, unless absent or expired. Marks it most recently used. */
  get(key: string): Envelope | undefined {
    const i = this.#map.get(key)
    if (i === undefined) return undefined
    const exp = this.#expires[i]!
    if (exp !== NO_EXPIRY && exp <= this.#clock.now()) {
      this.#remove(i)
      this.#onEvict(key, 'expired')
      return undefined
    }
    if (i !== this.#head) this.#toHead(i)
    return this.#vals[i]
  }

  /** The entry under `key` without touching recency or expiry. */
  peek(key: string): Envelope | undefined {
    const i = this.#map.get(key)
    return i === undefined ? undefined : this.#vals[i]
  }

  /** Stores `value` until `expiresAt`, evicting least recently used entries past the bounds. */
  set(key: string, value: Envelope, expiresAt: number): void {
    let size = 0
    if (this.#sizeOf !== undefined) {
      size = this.#sizeOf(value.value, key)
      if (!(size >= 0)) size = 0
      if (size > this.maxBytes) {
        const old = this.#map.get(key)
        if (old !== undefined) this.#remove(old)
        this.#onEvict(key, 'too-large')
        return
      }
    }
    let i = this.#map.get(key)
    if (i !== undefined) {
      this.#vals[i] = value
      this.#expires[i] = expiresAt
      if (this.#sizes !== undefined) {
        this.#bytes += size - this.#sizes[i]!
        this.#sizes[i] = size
      }
      if (i !== this.#head) this.#toHead(i)
    } else {
      if (this.#map.size >= this.maxEntries) this.#evictTail()
      i = this.#freeTop > 0 ? this.#free[--this.#freeTop]! : this.#fill++
      this.#keys[i] = key
      this.#vals[i] = value
      this.#expires[i] = expiresAt
      if (this.#sizes !== undefined) {
        this.#sizes[i] = size
        this.#bytes += size
      }
      this.#map.set(key, i)
      this.#linkHead(i)
    }
    while (this.#bytes > this.maxBytes && this.#tail !== this.#nil) this.#evictTail()
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    const i = this.#map.get(key)
    if (i === undefined) return false
    this.#remove(i)
    return true
  }

  /** Removes every key starting with `prefix`, or everything. */
  clear(prefix = ''): void {
    if (prefix === '') {
      this.#map.clear()
      this.#keys.fill(undefined)
      this.#vals.fill(undefined)
      this.#sizes?.fill(0)
      this.#head = this.#tail = this.#nil
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

  /** Entries and bytes held (bytes is 0 unless `maxBytes` or `sizeOf` is set). */
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

  /** Keys from most to least recently used. For inspection and tests; allocates. */
  *keys(): IterableIterator<string> {
    for (let i = this.#head; i !== this.#nil; i = this.#next[i]!) yield this.#keys[i]!
  }

  /** Stops the purge timer. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
  }

  #evictTail(): void {
    const i = this.#tail
    const key = this.#keys[i]!
    this.#remove(i)
    this.#onEvict(key, 'capacity')
  }

  #remove(i: number): void {
    this.#map.delete(this.#keys[i]!)
    this.#unlink(i)
    this.#keys[i] = undefined
    this.#vals[i] = undefined
    if (this.#sizes !== undefined) {
      this.#bytes -= this.#sizes[i]!
      this.#sizes[i] = 0
    }
    this.#free[this.#freeTop++] = i
  }

  #linkHead(i: number): void {
    this.#prev[i] = this.#nil
    this.#next[i] = this.#head
    if (this.#head !== this.#nil) this.#prev[this.#head] = i
    else this.#tail = i
    this.#head = i
  }

  #unlink(i: number): void {
    const p = this.#prev[i]!
    const n = this.#next[i]!
    if (p !== this.#nil) this.#next[p] = n
    else this.#head = n
    if (n !== this.#nil) this.#prev[n] = p
    else this.#tail = p
  }

  #toHead(i: number): void {
    this.#unlink(i)
    this.#linkHead(i)
  }
}

/**
 * Creates the in-process memory tier, bounded by entries and, optionally, bytes.
 *
 * @param options - see {@link MemoryStoreOptions}
 * @example
 * ```ts
 * const cache = createCache({ tiers: [memoryStore({ maxEntries: 50_000, maxBytes: '256mb' })] })
 * ```
 */
export function memoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options)
}
