/**
 * The most frequent keys in a stream, in bounded memory. Keeps at most
 * `2 × capacity` counters; when full, it keeps the top `capacity` and halves
 * their counts, so old favourites fade and new hot keys can climb in. Pruning
 * sorts, but only once per `capacity` new keys, so the cost per key is small.
 * @module
 */

/** @internal */
export class TopKeys {
  readonly #capacity: number
  #counts = new Map<string, number>()

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  add(key: string): void {
    const n = this.#counts.get(key)
    if (n !== undefined) {
      this.#counts.set(key, n + 1)
      return
    }
    if (this.#counts.size >= this.#capacity * 2) this.#prune()
    this.#counts.set(key, 1)
  }

  /** The `n` most counted keys, most first. */
  top(n: number): { key: string; count: number }[] {
    return [...this.#counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, count]) => ({ key, count }))
  }

  clear(): void {
    this.#counts.clear()
  }

  #prune(): void {
    const kept = [...this.#counts].sort((a, b) => b[1] - a[1]).slice(0, this.#capacity)
    this.#counts = new Map(kept.map(([k, c]) => [k, Math.max(1, c >> 1)]))
  }
}
