/**
 * Tag and namespace versions held by a shared tier (SQLite, Redis), with a
 * short-lived local copy so that memory (L1) hits stay synchronous.
 *
 * The window: an L1 hit trusts the local copy of a version for at most
 * `maxAge` ms after it was read from the shared tier; past that, the hit takes
 * the slow path and re-reads the versions (one batched read per name however
 * many callers ask). So an invalidation made by another process is seen by
 * this process's L1 within `maxAge`; one made by this process is seen at once.
 * Entries read from a shared tier are always checked against exact versions.
 *
 * Versions only move forward, so a local copy can only be older than the
 * shared one: an entry written with an old copy is stale at once (a wasted
 * write, never a wrong value).
 * @module
 */
import type { Clock } from './clock.js'
import type { MaybePromise, SharedVersions } from './store.js'
import type { TagVersionSource } from './tags.js'

interface Known {
  /** The version. */
  v: number
  /** Until when (cache clock) an L1 hit may trust it. */
  until: number
  /** The local bump sequence when it was set; a read started earlier must not overwrite it. */
  seq: number
}

/** Runs a call against the shared tier, fail-open: `undefined` when it failed (already counted and reported). */
export type SharedCall = <R>(operation: string, fn: () => MaybePromise<R>) => Promise<R | undefined>

/** @internal The cache's view of a tier's {@link SharedVersions}. */
export class SharedTagVersions implements TagVersionSource {
  readonly #shared: SharedVersions
  readonly #clock: Clock
  readonly #maxAge: number
  readonly #call: SharedCall
  readonly #known = new Map<string, Known>()
  readonly #inflight = new Map<string, Promise<Map<string, number> | undefined>>()
  #seq = 0

  constructor(shared: SharedVersions, clock: Clock, maxAge: number, call: SharedCall) {
    this.#shared = shared
    this.#clock = clock
    this.#maxAge = maxAge
    this.#call = call
  }

  /** The local copy of `name`'s version while it is within the window; `NaN` (never equal) otherwise. */
  get(name: string): number {
    const k = this.#known.get(name)
    return k !== undefined && k.until > this.#clock.now() ? k.v : Number.NaN
  }

  /** Whether the local copy of any of `names` is missing or past its window. */
  anyExpired(names: readonly string[]): boolean {
    const now = this.#clock.now()
    for (const name of names) {
      const k = this.#known.get(name)
      if (k === undefined || k.until <= now) return true
    }
    return false
  }

  /** The last version seen for `name`, however old, or `NaN`. Used when the shared tier cannot answer. */
  last(name: string): number {
    return this.#known.get(name)?.v ?? Number.NaN
  }

  /**
   * Versions to record in an entry being written: the local copy where it is
   * within the window (safe: it can only be older), else read from the tier.
   */
  forWrite(names: readonly string[]): MaybePromise<number[]> {
    const now = this.#clock.now()
    const out = new Array<number>(names.length)
    for (let i = 0; i < names.length; i++) {
      const k = this.#known.get(names[i]!)
      if (k === undefined || k.until <= now) return this.exact(names)
      out[i] = k.v
    }
    return out
  }

  /**
   * The versions of `names` read from the shared tier now (the last known where
   * it fails). Each name gets the value of the read that covered it, even if a
   * local bump lands before this resolves: that is the version when asked.
   */
  async exact(names: readonly string[]): Promise<number[]> {
    const reads: Promise<Map<string, number> | undefined>[] = []
    const readOf = new Array<number>(names.length)
    let toRead: string[] | undefined
    for (let i = 0; i < names.length; i++) {
      const f = this.#inflight.get(names[i]!)
      if (f !== undefined) {
        readOf[i] = reads.indexOf(f) === -1 ? reads.push(f) - 1 : reads.indexOf(f)
      } else {
        ;(toRead ??= []).push(names[i]!)
        readOf[i] = -1
      }
    }
    if (toRead !== undefined) {
      const list = toRead
      const p = this.#read(list).finally(() => {
        for (const n of list) if (this.#inflight.get(n) === p) this.#inflight.delete(n)
      })
      for (const n of list) this.#inflight.set(n, p)
      const at = reads.push(p) - 1
      for (let i = 0; i < names.length; i++) if (readOf[i] === -1) readOf[i] = at
    }
    const results = await Promise.all(reads)
    return names.map((n, i) => results[readOf[i]!]?.get(n) ?? this.last(n))
  }

  async #read(names: readonly string[]): Promise<Map<string, number> | undefined> {
    const seq = this.#seq
    const values = await this.#call('versions.read', () => this.#shared.read(names))
    if (values === undefined) return undefined
    this.note(names, values, seq)
    return new Map(names.map((n, i) => [n, values[i]!]))
  }

  /** Records versions just read from the shared tier (skipping names bumped locally since `seq`). */
  note(names: readonly string[], values: readonly number[], seq = this.#seq): void {
    const until = this.#clock.now() + this.#maxAge
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      const k = this.#known.get(name)
      if (k !== undefined && k.seq > seq) continue
      this.#known.set(name, { v: values[i]!, until, seq })
    }
  }

  /** The current local sequence, to pass to {@link note} for a read that starts now. */
  get seq(): number {
    return this.#seq
  }

  /**
   * Another process bumped `names` (heard over the bus): the local copies are
   * out of date, so the next L1 hit re-reads them. A read that started before
   * cannot put the old value back.
   */
  changed(names: readonly string[]): void {
    const seq = ++this.#seq
    for (const name of names) {
      const k = this.#known.get(name)
      this.#known.set(name, { v: k?.v ?? Number.NaN, until: 0, seq })
    }
  }

  /** The bus reconnected: every local copy may be out of date. */
  resync(): void {
    const seq = ++this.#seq
    for (const k of this.#known.values()) {
      k.until = 0
      k.seq = seq
    }
  }

  /**
   * Bumps `names` in the shared tier. When it fails, this process still moves
   * its local copy to a value no entry recorded (last + 0.5), so its own L1
   * entries are stale at once; the next successful read replaces it.
   */
  async bump(names: readonly string[]): Promise<void> {
    const seq = ++this.#seq
    const values = await this.#call('versions.bump', () => this.#shared.bump(names))
    const until = this.#clock.now() + this.#maxAge
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      const v = values !== undefined ? values[i]! : (this.#known.get(name)?.v ?? 0) + 0.5
      this.#known.set(name, { v, until, seq })
    }
  }
}

/** @internal True when `recorded` equals `current` element by element. */
export function sameVersions(recorded: readonly number[] | undefined, current: readonly number[]): boolean {
  if (recorded === undefined || recorded.length !== current.length) return false
  for (let i = 0; i < current.length; i++) if (recorded[i] !== current[i]) return false
  return true
}
