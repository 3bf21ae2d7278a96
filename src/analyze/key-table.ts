/**
 * The keys one target remembers: for each, when it was last called and a
 * digest of its last result with the time that result first appeared. Keys
 * are 32-bit digests and the columns are typed arrays that grow by doubling up
 * to a fixed bound; beyond it the oldest key is forgotten (first in, first
 * out), so a target with millions of distinct keys costs the same as one
 * with `max`.
 * @module
 */

/** @internal */
export class KeyTable {
  /** Distinct keys seen, including those forgotten since. */
  seen = 0
  last: Float64Array
  hash: Int32Array
  hashSince: Float64Array
  hasHash: Uint8Array
  readonly #slots = new Map<number, number>()
  readonly #digests: Uint32Array
  #next = 0

  constructor(readonly max: number) {
    const initial = Math.min(max, 64)
    this.last = new Float64Array(initial)
    this.hash = new Int32Array(initial)
    this.hashSince = new Float64Array(initial)
    this.hasHash = new Uint8Array(initial)
    this.#digests = new Uint32Array(max)
  }

  /** The slot of a key digest, or -1. */
  find(digest: number): number {
    return this.#slots.get(digest) ?? -1
  }

  /** Remembers a new key, forgetting the oldest when full. */
  add(digest: number, at: number, hash: number | undefined): void {
    this.seen++
    let slot: number
    if (this.#slots.size < this.max) {
      slot = this.#slots.size
      if (slot >= this.last.length) this.#grow()
    } else {
      slot = this.#next
      this.#next = (this.#next + 1) % this.max
      this.#slots.delete(this.#digests[slot]!)
    }
    this.#slots.set(digest, slot)
    this.#digests[slot] = digest
    this.last[slot] = at
    this.hasHash[slot] = 0
    if (hash !== undefined) this.setHash(slot, hash, at)
  }

  /** Sets a key's result digest and the time it first appeared. */
  setHash(slot: number, hash: number, at: number): void {
    this.hash[slot] = hash
    this.hashSince[slot] = at
    this.hasHash[slot] = 1
  }

  #grow(): void {
    const size = Math.min(this.max, this.last.length * 2)
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size)
      b.set(a)
      return b
    }
    this.last = grow(this.last, (n) => new Float64Array(n))
    this.hash = grow(this.hash, (n) => new Int32Array(n))
    this.hashSince = grow(this.hashSince, (n) => new Float64Array(n))
    this.hasHash = grow(this.hasHash, (n) => new Uint8Array(n))
  }
}
