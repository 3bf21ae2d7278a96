/**
 * A reference model of the three algorithms, written from their definitions
 * over a log of admitted calls (not from the implementation's state record):
 * - fixed: a window opens at the first admitted call after the last one ended;
 * - sliding: counts per aligned window; estimate = previous × overlap + current;
 * - token bucket: tokens replayed from the log, refilled at limit per window, capped at limit.
 * Times are integers; fractions are compared multiplied out, so the model is exact.
 */
import type { Algorithm } from '../../src/ratelimit.js'

export class Model {
  readonly log: { t: number; cost: number }[] = []
  #fixedStart: number | undefined

  constructor(
    readonly algorithm: Algorithm,
    readonly limit: number,
    readonly window: number,
  ) {}

  /** Whether `cost` units are admitted at `now`; records them when they are. */
  consume(now: number, cost: number): boolean {
    const ok = this.fits(now, cost)
    if (ok) {
      if (this.algorithm === 'fixed' && (this.#fixedStart === undefined || now >= this.#fixedStart + this.window)) {
        this.#fixedStart = now
      }
      this.log.push({ t: now, cost })
    }
    return ok
  }

  fits(now: number, cost: number): boolean {
    const { limit, window } = this
    if (this.algorithm === 'fixed') {
      const start = this.#fixedStart
      const open = start !== undefined && now < start + window
      const used = open ? this.log.filter((e) => e.t >= start).reduce((s, e) => s + e.cost, 0) : 0
      return used + cost <= limit
    }
    if (this.algorithm === 'sliding') {
      const w = Math.floor(now / window)
      const inWindow = (k: number) =>
        this.log.filter((e) => Math.floor(e.t / window) === k).reduce((s, e) => s + e.cost, 0)
      const elapsed = now - w * window
      // prev × (window − elapsed)/window + curr + cost ≤ limit
      return inWindow(w - 1) * (window - elapsed) + (inWindow(w) + cost) * window <= limit * window
    }
    // Token bucket, in units of 1/window token.
    const cap = limit * window
    let tokens = cap
    let last: number | undefined
    for (const e of this.log) {
      if (last !== undefined) tokens = Math.min(cap, tokens + (e.t - last) * limit)
      tokens -= e.cost * window
      last = e.t
    }
    if (last !== undefined) tokens = Math.min(cap, tokens + (now - last) * limit)
    return tokens >= cost * window
  }
}
