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
 *
 * When the shared tier cannot answer (fail-open), this process goes on with
 * local versions: the last one read where it has one, else a local version
 * (a negative number from a random base, which no shared version, nor another
 * process's local one, ever equals). Entries written meanwhile stay valid in
 * this process, so a tier outage costs one load per key, not one per request.
 * The tier is tried again once per `max(maxAge, 1s)`; once it answers, every
 * name is re-read within that time, so an invalidation made elsewhere during
 * the outage takes effect, and entries recorded with local versions are
 * stale. Names bumped here while the tier could not be reached are remembered
 * and bumped in the tier once it answers (retried every second for up to 10
 * minutes, and before every read here), so other processes see those
 * invalidations too; a restart or `close()` in between loses them.
 *
 * The local copy is swept (at most once per `max(maxAge, 1s)`, on the slow
 * path): names past their window are forgotten, so it holds about the names
 * used in the last two windows (a minute while the tier fails), not every name
 * ever seen. A forgotten name is re-read, never assumed current.
 * @module
 */
import type { Clock } from './clock.js'
import type { MaybePromise, SharedVersions } from './store.js'
import type { TagVersionSource } from './tags.js'

interface Known {
  /** The version: read from the shared tier, or a local one (negative) while it cannot answer. */
  v: number
  /** Until when (cache clock) an L1 hit may trust it. */
  until: number
  /** The local bump sequence when it was set; a read started earlier must not overwrite it. */
  seq: number
}

/** Runs a call against the shared tier, fail-open: `undefined` when it failed (already counted and reported). */
export type SharedCall = <R>(operation: string, fn: () => MaybePromise<R>) => Promise<R | undefined>

/** What {@link SharedTagVersions.health} reports. */
export interface VersionsHealth {
  /** True while the last call to the shared tier failed: versions are this process's own. */
  offline: boolean
  /** Names bumped here while the tier could not be reached, to bump there once it answers. */
  pendingBumps: number
  /** Names held in the local copy. */
  known: number
}

/** The least time between two sweeps of the local copy. */
const MIN_SWEEP_EVERY = 1000
/** While the tier fails, how long past its window a name's local version is kept. */
const OFFLINE_KEEP = 60_000
/**
 * While the tier fails, the least window of a local version: a failed call
 * can take the tier's whole timeout, so retrying it more often than this only
 * makes requests wait.
 */
const OFFLINE_RETRY = 1000
/** How long pending bumps are retried on a timer after the last one failed (ms, wall clock). */
const RETRY_FOR = 10 * 60_000

/** @internal The cache's view of a tier's {@link SharedVersions}. */
export class SharedTagVersions implements TagVersionSource {
  readonly #shared: SharedVersions
  readonly #clock: Clock
  readonly #maxAge: number
  readonly #call: SharedCall
  readonly #known = new Map<string, Known>()
  readonly #inflight = new Map<string, Promise<Map<string, number>>>()
  /** The start sequences of reads in flight (sequence → count): a sweep keeps what they may not overwrite. */
  readonly #reading = new Map<number, number>()
  /** Names bumped while the tier failed. */
  readonly #pending = new Set<string>()
  #flushing: Promise<boolean> | undefined
  /** Retries the pending bumps while there are any, so other processes learn of them without waiting for a read here. */
  #retry: NodeJS.Timeout | undefined
  #retryUntil = 0
  #closed = false
  #offline = false
  /** The next local version: negative (shared ones never are), from a random base per process. */
  #nextLocal = -1 - Math.floor(Math.random() * 2 ** 51)
  #seq = 0
  readonly #sweepEvery: number
  #nextSweep: number

  constructor(shared: SharedVersions, clock: Clock, maxAge: number, call: SharedCall) {
    this.#shared = shared
    this.#clock = clock
    this.#maxAge = maxAge
    this.#call = call
    this.#sweepEvery = Math.max(maxAge, MIN_SWEEP_EVERY)
    this.#nextSweep = clock.now() + this.#sweepEvery
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

  /** Whether the shared tier is answering, what waits for it, and the local copy's size. */
  get health(): VersionsHealth {
    return { offline: this.#offline, pendingBumps: this.#pending.size, known: this.#known.size }
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
   * The versions of `names` read from the shared tier now (local versions
   * where it fails). Each name gets the value of the read that covered it, even
   * if a local bump lands before this resolves: that is the version when asked.
   */
  async exact(names: readonly string[]): Promise<number[]> {
    const reads: Promise<Map<string, number>>[] = []
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
    return names.map((n, i) => results[readOf[i]!]!.get(n)!)
  }

  async #read(names: readonly string[]): Promise<Map<string, number>> {
    // Bumps this process could not make go first: a read must not bring back what they invalidated.
    const flushed = this.#pending.size === 0 || (await this.#flush())
    const seq = this.#seq
    this.#reading.set(seq, (this.#reading.get(seq) ?? 0) + 1)
    let values: number[] | undefined
    try {
      values = flushed ? await this.#call('versions.read', () => this.#shared.read(names)) : undefined
    } finally {
      const n = this.#reading.get(seq)!
      if (n === 1) this.#reading.delete(seq)
      else this.#reading.set(seq, n - 1)
    }
    if (values === undefined) return this.#fallback(names, seq)
    this.note(names, values, seq)
    return new Map(names.map((n, i) => [n, values[i]!]))
  }

  /**
   * The tier could not answer: each name keeps its local version (the last
   * read, or a local one) for another window, so L1 entries written with it
   * stay valid and the tier is tried again once per window, not on every hit.
   */
  #fallback(names: readonly string[], seq: number): Map<string, number> {
    this.#offline = true
    const now = this.#clock.now()
    if (now >= this.#nextSweep) this.#sweep(now, seq)
    const until = now + Math.max(this.#maxAge, OFFLINE_RETRY)
    const out = new Map<string, number>()
    for (const name of names) {
      const k = this.#known.get(name)
      if (k === undefined) {
        const v = this.#nextLocal--
        this.#known.set(name, { v, until, seq })
        out.set(name, v)
      } else {
        if (k.until < until) k.until = until
        out.set(name, k.v)
      }
    }
    return out
  }

  /** Bumps the names bumped while the tier failed; true when there are none left. */
  #flush(): Promise<boolean> {
    this.#flushing ??= this.#bumpPending().finally(() => {
      this.#flushing = undefined
    })
    return this.#flushing
  }

  async #bumpPending(): Promise<boolean> {
    const names = [...this.#pending]
    const seq = ++this.#seq
    const values = await this.#call('versions.bump', async () => {
      try {
        return await this.#shared.bump(names)
      } catch (error) {
        // The store was closed under the cache: nothing left to retry against.
        if ((error as { code?: unknown } | null)?.code === 'ERR_CACHE_CLOSED') this.close()
        throw error
      }
    })
    if (values === undefined) return false
    this.#bumped(names, values, seq)
    return true
  }

  /**
   * Records versions just bumped in the shared tier (the bump began at `seq`).
   * A name bumped or changed here again meanwhile keeps its local version, and
   * stays pending if it was: this bump may have landed before that one.
   */
  #bumped(names: readonly string[], values: readonly number[], seq: number): void {
    this.#offline = false
    const until = this.#clock.now() + this.#maxAge
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      const k = this.#known.get(name)
      if (k !== undefined && k.seq > seq) continue
      this.#pending.delete(name)
      this.#known.set(name, { v: values[i]!, until, seq })
    }
  }

  /**
   * Records versions just read from the shared tier (skipping names bumped
   * locally since `seq`). A name bumped here whose bump has not reached the
   * tier yet keeps its local version, and `values[i]` is overwritten with it:
   * the caller checks an entry it read with `values`, and that entry must not
   * pass for current over this process's own invalidation.
   */
  note(names: readonly string[], values: readonly number[], seq = this.#seq): void {
    const now = this.#clock.now()
    // The read being noted began at `seq`: what changed since must survive the sweep, or the loop below undoes it.
    if (now >= this.#nextSweep) this.#sweep(now, seq)
    const until = now + this.#maxAge
    const pending = this.#pending.size > 0
    this.#offline = false
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      if (pending && this.#pending.has(name)) {
        const local = this.#known.get(name)
        if (local !== undefined && !Object.isFrozen(values)) (values as number[])[i] = local.v
        continue
      }
      const k = this.#known.get(name)
      if (k !== undefined && k.seq > seq) continue
      this.#known.set(name, { v: values[i]!, until, seq })
    }
    // The tier answered: bump there what was bumped here while it could not.
    if (pending) this.#flush().catch(noop)
  }

  /**
   * Forgets names past their window, except those a read in flight (or the
   * one that began at `reading`) must not overwrite (bumped or changed after
   * it began) and those waiting to be bumped.
   */
  #sweep(now: number, reading = this.#seq): void {
    this.#nextSweep = now + this.#sweepEvery
    let oldest = Math.min(this.#seq, reading)
    for (const seq of this.#reading.keys()) if (seq < oldest) oldest = seq
    // While the tier fails, a forgotten name would get a new local version and its L1 entries a reload: keep them longer.
    const before = this.#offline ? now - OFFLINE_KEEP : now
    for (const [name, k] of this.#known) {
      if (k.until <= before && k.seq <= oldest && !this.#pending.has(name)) this.#known.delete(name)
    }
  }

  /** The current local sequence, to pass to {@link note} for a read that starts now. */
  get seq(): number {
    return this.#seq
  }

  /**
   * Another process bumped `names` (heard over the bus): the local copies are
   * out of date, so the next L1 hit re-reads them. A read that started before
   * cannot put the old value back, and should the read fail, a local version
   * (not the old one) is used.
   */
  changed(names: readonly string[]): void {
    const seq = ++this.#seq
    const now = this.#clock.now()
    if (now >= this.#nextSweep) this.#sweep(now)
    for (const name of names) {
      this.#known.set(name, { v: this.#nextLocal--, until: 0, seq })
      // A read already in flight may predate the change: later askers start their own.
      this.#inflight.delete(name)
    }
  }

  /** The bus reconnected: every local copy may be out of date. */
  resync(): void {
    const seq = ++this.#seq
    this.#inflight.clear()
    for (const k of this.#known.values()) {
      k.until = 0
      k.seq = seq
    }
  }

  /**
   * Bumps `names` in the shared tier (with any bumps still waiting from an
   * outage). When it fails, this process moves its local copies to new local
   * versions, so its own L1 entries are stale at once, and remembers the names
   * to bump in the tier once it answers.
   */
  async bump(names: readonly string[]): Promise<void> {
    const seq = ++this.#seq
    for (const name of names) this.#inflight.delete(name)
    const list = this.#pending.size === 0 ? names : [...new Set([...names, ...this.#pending])]
    const values = await this.#call('versions.bump', () => this.#shared.bump(list))
    if (values !== undefined) {
      this.#bumped(list, values, seq)
      return
    }
    this.#offline = true
    const until = this.#clock.now() + Math.max(this.#maxAge, OFFLINE_RETRY)
    for (const name of names) {
      this.#pending.add(name)
      const k = this.#known.get(name)
      if (k !== undefined && k.seq > seq) continue
      this.#known.set(name, { v: this.#nextLocal--, until, seq })
    }
    this.#retryUntil = Date.now() + RETRY_FOR
    this.#scheduleRetry()
  }

  /**
   * Retries the pending bumps every second, for at most `RETRY_FOR` after
   * the last local bump (past it they wait for the next read here).
   */
  #scheduleRetry(): void {
    if (this.#retry !== undefined || this.#closed) return
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      if (this.#pending.size === 0 || this.#closed) return
      void this.#flush().then(() => {
        if (this.#pending.size > 0 && Date.now() < this.#retryUntil) this.#scheduleRetry()
      })
    }, OFFLINE_RETRY)
    this.#retry.unref?.()
  }

  /** Stops retrying pending bumps (the cache is closing); they are lost. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#retry)
    this.#retry = undefined
  }
}

function noop(): void {}

/** @internal True when `recorded` equals `current` element by element. */
export function sameVersions(recorded: readonly number[] | undefined, current: readonly number[]): boolean {
  if (recorded === undefined || recorded.length !== current.length) return false
  for (let i = 0; i < current.length; i++) if (recorded[i] !== current[i]) return false
  return true
}
