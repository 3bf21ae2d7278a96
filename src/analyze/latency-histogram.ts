/**
 * A histogram of durations of fixed size: 10 buckets per decade on a log scale
 * (about ±12 % resolution), in one typed array allocated once. Recording a
 * value is a logarithm and an increment; quantiles are read by walking the
 * buckets. Good enough to tell a 0.2 ms route from a 40 ms one, or a result
 * that changes every second from one that changes every hour, which is all
 * the analyzer needs: 71–91 counters per target.
 * @module
 */

/** Buckets per decade. */
const PER_DECADE = 10

/** @internal Log-bucketed durations in milliseconds. */
export class LatencyHistogram {
  readonly counts: Uint32Array
  count = 0
  sum = 0
  max = 0
  readonly #lowest: number

  /**
   * @param lowest - the upper bound of the first bucket, ms (default 10 µs, for latencies)
   * @param decades - decades covered above it (default 7: up to 100 s)
   */
  constructor(lowest = 0.01, decades = 7) {
    this.#lowest = lowest
    this.counts = new Uint32Array(PER_DECADE * decades + 1)
  }

  /** Records one duration in ms (negative or NaN durations are recorded as 0). */
  add(ms: number): void {
    if (!(ms > 0)) ms = 0
    const last = this.counts.length - 1
    const i = ms <= this.#lowest ? 0 : Math.min(last, 1 + Math.floor(Math.log10(ms / this.#lowest) * PER_DECADE))
    this.counts[i]!++
    this.count++
    this.sum += ms
    if (ms > this.max) this.max = ms
  }

  /** The `q` quantile (0..1) in ms: the upper bound of the bucket it falls in, capped by the largest value seen. */
  quantile(q: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min(this.#lowest * 10 ** (i / PER_DECADE), this.max)
    }
    return this.max
  }

  /** The mean in ms. */
  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count
  }
}
