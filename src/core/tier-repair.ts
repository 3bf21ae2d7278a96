/**
 * Repair after a shared tier comes back. A write or delete that a shared tier
 * (Redis, Memcached, SQLite) failed leaves there the value from before: once
 * the tier answers again, every other process would read it, and keep it in
 * memory, although this process changed it (fail-open acknowledged the
 * change). So the keys are remembered with the time of the change, and as
 * soon as the tier answers, each entry there that is older than that change
 * is deleted and announced on the bus: the next reader anywhere loads from the
 * source. An entry written after the change (by another process, once the
 * tier was back) is left alone.
 * @module
 */
import type { Store } from './store.js'

/** At most this many keys are remembered per tier; past it the oldest are forgotten (and counted). */
const MAX_KEYS = 10_000
/** How often a tier with keys to repair is tried while nothing else calls it. */
const RETRY_MS = 500

/** @internal */
export class TierRepair {
  readonly #keys = new Map<Store, Map<string, number>>()
  readonly #busy = new Set<Store>()
  #timer: ReturnType<typeof setInterval> | undefined
  /** Keys forgotten because too many were waiting. */
  forgotten = 0
  /**
   * Deletes from a tier the keys whose entry there is older than the change it
   * missed (key → time of the change); resolves the keys deleted, or `undefined`
   * when the tier did not answer.
   */
  readonly #delete: (tier: Store, keys: ReadonlyMap<string, number>) => Promise<string[] | undefined>
  /** Told of the keys repaired, to announce them (the bus). */
  onRepaired: ((keys: readonly string[]) => void) | undefined

  constructor(remove: (tier: Store, keys: ReadonlyMap<string, number>) => Promise<string[] | undefined>) {
    this.#delete = remove
  }

  /** Whether any key waits for repair (cheap: the hot path checks it after every tier call). */
  get pending(): boolean {
    return this.#keys.size > 0
  }

  /** Remembers keys whose write or delete `tier` failed, changed at `at` (the cache's clock). */
  remember(tier: Store, keys: Iterable<string>, at: number): void {
    let set = this.#keys.get(tier)
    if (set === undefined) {
      set = new Map()
      this.#keys.set(tier, set)
    }
    for (const k of keys) {
      const before = set.get(k)
      set.delete(k)
      set.set(k, before === undefined ? at : Math.max(before, at))
    }
    while (set.size > MAX_KEYS) {
      set.delete(set.keys().next().value!)
      this.forgotten++
    }
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => {
        for (const t of [...this.#keys.keys()]) void this.attempt(t)
      }, RETRY_MS)
      this.#timer.unref?.()
    }
  }

  /** A later change of these keys reached `tier`: they need no repair. */
  forget(tier: Store, keys: readonly string[]): void {
    const set = this.#keys.get(tier)
    if (set === undefined) return
    for (const k of keys) set.delete(k)
    if (set.size === 0) this.#keys.delete(tier)
  }

  /** Tries to repair `tier` now (after one of its calls succeeded, or on the retry timer). */
  async attempt(tier: Store): Promise<void> {
    const set = this.#keys.get(tier)
    if (set === undefined || this.#busy.has(tier)) return
    this.#busy.add(tier)
    this.#keys.delete(tier)
    try {
      const deleted = await this.#delete(tier, set)
      if (deleted === undefined) {
        for (const [k, at] of set) this.remember(tier, [k], at)
        return
      }
      if (deleted.length > 0) this.onRepaired?.(deleted)
    } finally {
      this.#busy.delete(tier)
      if (this.#keys.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer)
        this.#timer = undefined
      }
    }
  }

  /** Stops retrying (the cache closes). */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#keys.clear()
  }
}
