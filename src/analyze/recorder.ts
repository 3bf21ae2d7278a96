/**
 * The analyzer's recorder: what the middleware and wrappers report, kept in
 * bounded memory. Per target (a route, a query, a function) it counts calls
 * and time, a latency histogram, how often the same key comes back within
 * 1 s / 1 min / 1 h, how long a key's result stays the same, how many calls
 * were personalised, and which tables the target reads or writes. It also
 * keeps the key trace the simulator replays.
 *
 * Memory is bounded three ways: at most `maxTargets` targets (later ones are
 * folded into one `(other)` target), at most `maxKeys` keys remembered per
 * target (first in, first out beyond that; a key is a 32-bit digest, never its
 * string), and a trace ring of `traceSize` entries.
 *
 * Sampling is by key, not by request (spatial sampling, as SHARDS does for
 * miss-ratio curves): a sampled key has every call recorded, so repetition and
 * stability stay true per key, and totals are scaled by `1 / sampleRate`.
 * @module
 */
import { type Clock, systemClock } from '../core/clock.js'
import { invalidOption } from '../core/errors.js'
import { digestKey } from './digest.js'
import { KeyTable } from './key-table.js'
import { LatencyHistogram } from './latency-histogram.js'
import type { RecordedTarget, Recording, TargetKind } from './recording.js'
import { TraceRing } from './trace-ring.js'

/** One call, as an adapter reports it to {@link Recorder.record}. */
export interface Observation {
  /** What was called. */
  kind: TargetKind
  /** The target: a route pattern (`GET /products/:id`), a normalised SQL text, a function name. */
  name: string
  /** The call: the URL with its query, the SQL with its parameters, the arguments' key. */
  key: string
  /** How long it took, ms. */
  ms: number
  /** When it ended, ms since the epoch. @defaultValue the recorder's clock */
  at?: number
  /** A digest of the result (see `digestValue`); `undefined` when unknown. */
  hash?: number | undefined
  /** The call carried or set credentials (Authorization, Cookie, Set-Cookie). */
  personal?: boolean
  /** The call failed (an exception, a 5xx). Counted; its result is not judged. */
  error?: boolean
  /** Tables a query read. */
  reads?: readonly string[] | undefined
  /** Tables a query wrote: the target is a write, never a caching candidate. */
  writes?: readonly string[] | undefined
}

/** Options of {@link createRecorder}. */
export interface RecorderOptions {
  /**
   * The share of keys recorded, from 0 (exclusive) to 1. Every call of a sampled
   * key is recorded; the others cost one digest of the key. @defaultValue 1
   */
  sampleRate?: number
  /** Targets kept; calls of later ones are counted under `(other)`. @defaultValue 200 */
  maxTargets?: number
  /** Keys remembered per target (about 30 bytes each). @defaultValue 2_000 */
  maxKeys?: number
  /** Calls kept in the key trace for the simulator (6 bytes each); 0 keeps none. @defaultValue 200_000 */
  traceSize?: number
  /** The clock. @defaultValue the system clock */
  clock?: Clock
}

const SECOND = 1000
const MINUTE = 60_000
const HOUR = 3_600_000
const MAX_TABLES = 32
const OTHER = '(other)'

/** @internal One target's figures. */
class Target {
  readonly latency = new LatencyHistogram()
  /** Times a key's result stayed the same before it changed, ms (1 ms … ~28 h). */
  readonly changes = new LatencyHistogram(1, 8)
  readonly keys: KeyTable
  calls = 0
  errors = 0
  personal = 0
  within1s = 0
  within1m = 0
  within1h = 0
  compared = 0
  changed = 0
  stableFor = 0
  reads: Set<string> | undefined
  writes: Set<string> | undefined

  constructor(
    readonly index: number,
    readonly kind: TargetKind,
    readonly name: string,
    maxKeys: number,
  ) {
    this.keys = new KeyTable(maxKeys)
  }
}

/**
 * Records calls for the analyzer. Create it with {@link createRecorder}, give it
 * to the middleware and wrappers, and read it with {@link Recorder.snapshot}
 * (or save that as JSON for `cachestack analyze`).
 */
export class Recorder {
  /** The share of keys recorded. */
  readonly sampleRate: number
  readonly #threshold: number
  readonly #maxTargets: number
  readonly #maxKeys: number
  readonly #clock: Clock
  /** Targets by kind, then name (no string built per call). */
  readonly #targets = new Map<TargetKind, Map<string, Target>>()
  readonly #list: Target[] = []
  readonly #tableWrites = new Map<string, number>()
  readonly #trace: TraceRing
  #first = Number.POSITIVE_INFINITY
  #last = Number.NEGATIVE_INFINITY

  /** @param options - see {@link RecorderOptions} */
  constructor(options: RecorderOptions = {}) {
    const rate = options.sampleRate ?? 1
    if (!(rate > 0 && rate <= 1)) throw invalidOption('sampleRate', 'a number above 0 and at most 1', rate)
    const positive = (name: keyof RecorderOptions, v: number, min: number) => {
      if (!Number.isInteger(v) || v < min) throw invalidOption(name, `an integer ≥ ${min}`, v)
      return v
    }
    this.sampleRate = rate
    this.#threshold = rate * 2 ** 32
    this.#maxTargets = Math.min(60_000, positive('maxTargets', options.maxTargets ?? 200, 1))
    this.#maxKeys = positive('maxKeys', options.maxKeys ?? 2_000, 1)
    this.#trace = new TraceRing(positive('traceSize', options.traceSize ?? 200_000, 0))
    this.#clock = options.clock ?? systemClock
  }

  /** Whether calls with this key are recorded (always, at `sampleRate` 1). Adapters ask first, to skip the work for the others. */
  sampled(key: string): boolean {
    return this.#threshold >= 2 ** 32 || digestKey(key) < this.#threshold
  }

  /**
   * The key's digest when its calls are recorded, else -1: {@link Recorder.sampled}
   * and the digest {@link Recorder.record} needs, computed once.
   */
  sampledDigest(key: string): number {
    const d = digestKey(key)
    return d < this.#threshold ? d : -1
  }

  /** The recorder's clock, in ms since the epoch. */
  now(): number {
    return this.#clock.now()
  }

  /**
   * Records one call. Calls of keys outside the sample are ignored.
   * @param o - the call
   * @param keyDigest - `o.key`'s digest from {@link Recorder.sampledDigest}, when the caller has it
   */
  record(o: Observation, keyDigest = digestKey(o.key)): void {
    if (keyDigest < 0 || keyDigest >= this.#threshold) return
    const at = o.at ?? this.#clock.now()
    if (at < this.#first) this.#first = at
    if (at > this.#last) this.#last = at
    const t = this.#target(o.kind, o.name)
    t.calls++
    t.latency.add(o.ms)
    if (o.personal === true) t.personal++
    if (o.reads !== undefined) t.reads = addTables(t.reads, o.reads)
    if (o.writes !== undefined && o.writes.length > 0) {
      t.writes = addTables(t.writes, o.writes)
      for (const table of o.writes) {
        if (this.#tableWrites.has(table) || this.#tableWrites.size < 1000) {
          this.#tableWrites.set(table, (this.#tableWrites.get(table) ?? 0) + 1)
        }
      }
    }
    if (o.error === true) {
      t.errors++
      return
    }
    this.#trace.push(t.index, keyDigest)
    const keys = t.keys
    const slot = keys.find(keyDigest)
    if (slot === -1) {
      keys.add(keyDigest, at, o.hash)
      return
    }
    const gap = at - keys.last[slot]!
    if (gap <= HOUR) {
      t.within1h++
      if (gap <= MINUTE) {
        t.within1m++
        if (gap <= SECOND) t.within1s++
      }
    }
    keys.last[slot] = at
    if (o.hash === undefined) return
    if (keys.hasHash[slot] === 0) {
      keys.setHash(slot, o.hash, at)
      return
    }
    t.compared++
    if (keys.hash[slot] === (o.hash | 0)) {
      const span = at - keys.hashSince[slot]!
      if (span > t.stableFor) t.stableFor = span
    } else {
      t.changed++
      t.changes.add(at - keys.hashSince[slot]!)
      keys.setHash(slot, o.hash, at)
    }
  }

  /** The recording so far, as plain data (JSON-safe; what `cachestack analyze` reads). */
  snapshot(): Recording {
    const rate = this.sampleRate
    const targets: RecordedTarget[] = this.#list.map((t) => ({
      kind: t.kind,
      name: t.name,
      calls: Math.round(t.calls / rate),
      sampledCalls: t.calls,
      errors: Math.round(t.errors / rate),
      totalMs: t.latency.sum / rate,
      latency: {
        mean: t.latency.mean(),
        p50: t.latency.quantile(0.5),
        p90: t.latency.quantile(0.9),
        p99: t.latency.quantile(0.99),
        max: t.latency.max,
      },
      keys: Math.round(t.keys.seen / rate),
      repeats: { within1s: t.within1s, within1m: t.within1m, within1h: t.within1h },
      stability: {
        compared: t.compared,
        changed: t.changed,
        ...(t.changed === 0
          ? {}
          : { changeAfterP25: t.changes.quantile(0.25), changeAfterP50: t.changes.quantile(0.5) }),
        stableFor: t.stableFor,
      },
      personal: t.personal,
      tablesRead: [...(t.reads ?? [])],
      tablesWritten: [...(t.writes ?? [])],
    }))
    const empty = this.#first > this.#last
    return {
      format: 'cachestack-recording',
      version: 1,
      startedAt: empty ? 0 : this.#first,
      endedAt: empty ? 0 : this.#last,
      sampleRate: rate,
      targets,
      tableWrites: [...this.#tableWrites].map(([table, writes]) => ({ table, writes: Math.round(writes / rate) })),
      trace: this.#trace.export(this.#list.map((t) => `${t.kind} ${t.name}`)),
    }
  }

  /** Forgets everything recorded. */
  reset(): void {
    this.#targets.clear()
    this.#list.length = 0
    this.#tableWrites.clear()
    this.#trace.clear()
    this.#first = Number.POSITIVE_INFINITY
    this.#last = Number.NEGATIVE_INFINITY
  }

  #target(kind: TargetKind, name: string): Target {
    let byName = this.#targets.get(kind)
    if (byName === undefined) this.#targets.set(kind, (byName = new Map()))
    let t = byName.get(name)
    if (t !== undefined) return t
    if (this.#list.length >= this.#maxTargets) {
      t = byName.get(OTHER)
      if (t !== undefined) return t
      name = OTHER
    }
    t = new Target(this.#list.length, kind, name, this.#maxKeys)
    byName.set(name, t)
    this.#list.push(t)
    return t
  }
}

function addTables(set: Set<string> | undefined, tables: readonly string[]): Set<string> {
  set ??= new Set()
  for (const table of tables) if (set.size < MAX_TABLES) set.add(table)
  return set
}

/**
 * Creates a {@link Recorder}.
 *
 * @param options - see {@link RecorderOptions}
 * @example
 * ```ts
 * import { analyze, createRecorder } from 'cachestack/analyze'
 * const recorder = createRecorder({ sampleRate: 0.2 })
 * app.use(analyze(recorder)) // Express or node:http
 * // later: writeFileSync('recording.json', JSON.stringify(recorder.snapshot())); then `cachestack analyze recording.json`
 * ```
 */
export function createRecorder(options?: RecorderOptions): Recorder {
  return new Recorder(options)
}
