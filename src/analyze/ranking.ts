/**
 * The ranking: which targets of a recording are worth caching, best first.
 * Pure functions of a {@link Recording}: no I/O, no clock.
 *
 * For each read target (routes, read queries, functions) it estimates the
 * hit ratio a cache would get (the share of calls whose key came back within
 * the suggested TTL, lowered by the share of results that changed, by
 * personalisation and by writes to the tables read), and from it the time
 * saved per second of traffic: calls/s × hit ratio × mean latency. Each
 * candidate gets a suggested cache, a suggested TTL from the observed change
 * intervals, and the reasons against where there are some.
 * @module
 */
import type { RecordedTarget, Recording, TargetKind } from './recording.js'

/** What to put in front of a target. */
export type Suggestion = 'route cache' | 'query cache' | 'memoize' | 'HTTP headers only' | 'none'

/** A reason against caching a target (or for caching it less). */
export type Concern = 'personalised' | 'volatile' | 'written often' | 'fast' | 'rarely repeated' | 'errors'

/** One ranked target. */
export interface Candidate {
  kind: TargetKind
  name: string
  /** Calls per second over the recording. */
  callsPerSecond: number
  /** Mean latency, ms. */
  meanMs: number
  /** p99 latency, ms. */
  p99Ms: number
  /** This target's share of the time spent in all read targets, 0..1. */
  shareOfTime: number
  /** Share of calls whose key came back within 1 s, 1 min, 1 h. */
  repetition: { within1s: number; within1m: number; within1h: number }
  /** Share of repeated calls whose result differed from the key's previous one; `undefined` when never compared. */
  changeRate: number | undefined
  /** Share of calls that carried or set credentials. */
  personalShare: number
  /** The estimated hit ratio of a cache with the suggested TTL, 0..1. */
  hitRatio: number
  /** Estimated ms of work saved per second of traffic (the ranking key). */
  savedMsPerSecond: number
  suggestion: Suggestion
  /** Suggested TTL, ms; `undefined` with suggestion `'none'`. */
  ttlMs: number | undefined
  /** Why the TTL is what it is. */
  ttlBasis: string
  /** Reasons against, in plain words, each keyed by its {@link Concern}. */
  concerns: { concern: Concern; detail: string }[]
}

/** Options of {@link rankCandidates}. */
export interface RankOptions {
  /** A target faster than this (median, ms) is marked `'fast'`: caching saves little. @defaultValue 1 */
  fastMs?: number
  /** The longest TTL suggested, ms. @defaultValue 1 hour */
  maxTtlMs?: number
}

const SECOND = 1000
const MINUTE = 60_000
const HOUR = 3_600_000
/** TTLs suggested are rounded down to one of these. */
const NICE_TTLS = [
  1000,
  2000,
  5000,
  10_000,
  15_000,
  30_000,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
  12 * HOUR,
  24 * HOUR,
]

/** `1500` → `'1s'`, `90000` → `'1m'`: the duration strings cachestack accepts. */
export function formatTtl(ms: number): string {
  if (ms >= HOUR && ms % HOUR === 0) return `${ms / HOUR}h`
  if (ms >= MINUTE && ms % MINUTE === 0) return `${ms / MINUTE}m`
  if (ms >= SECOND && ms % SECOND === 0) return `${ms / SECOND}s`
  return `${Math.round(ms)}ms`
}

/** `6243` → `'6.2s'`, `90000` → `'1.5m'`: for explanations. */
function human(ms: number): string {
  if (ms >= HOUR) return `${+(ms / HOUR).toFixed(1)}h`
  if (ms >= MINUTE) return `${+(ms / MINUTE).toFixed(1)}m`
  if (ms >= SECOND) return `${+(ms / SECOND).toFixed(1)}s`
  return `${Math.round(ms)}ms`
}

function niceFloor(ms: number): number {
  let best = NICE_TTLS[0]!
  for (const t of NICE_TTLS) if (t <= ms) best = t
  return best
}

/**
 * The share of calls whose key came back within `ms`, interpolated on a log
 * scale between the measured points (0 at 0 ms, then 1 s, 1 min, 1 h).
 */
function repeatWithin(r: Candidate['repetition'], ms: number): number {
  const points: [number, number][] = [
    [SECOND, r.within1s],
    [MINUTE, r.within1m],
    [HOUR, r.within1h],
  ]
  if (ms <= 0) return 0
  if (ms <= SECOND) return r.within1s * (ms / SECOND)
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!
    const [x1, y1] = points[i]!
    if (ms <= x1) return y0 + ((y1 - y0) * Math.log(ms / x0)) / Math.log(x1 / x0)
  }
  return r.within1h
}

/**
 * Ranks the read targets of a recording by estimated time saved per second,
 * best first. Write queries are left out (they are what invalidates).
 *
 * @param recording - from {@link Recorder.snapshot} or a saved file
 * @param options - see {@link RankOptions}
 */
export function rankCandidates(recording: Recording, options: RankOptions = {}): Candidate[] {
  const fastMs = options.fastMs ?? 1
  const maxTtl = options.maxTtlMs ?? HOUR
  const seconds = Math.max(1, (recording.endedAt - recording.startedAt) / 1000)
  const writes = new Map<string, number>()
  for (const w of recording.tableWrites) writes.set(w.table, w.writes)
  const reads = recording.targets.filter((t) => t.tablesWritten.length === 0)
  const totalMs = reads.reduce((s, t) => s + t.totalMs, 0) || 1
  const timed = recording.latencyUnknown !== true
  const ranked = reads.map((t) => candidate(t, { seconds, totalMs, writes, fastMs: timed ? fastMs : -1, maxTtl }))
  const hitsPerSecond = (c: Candidate) => (c.suggestion === 'HTTP headers only' ? 0 : c.callsPerSecond * c.hitRatio)
  return ranked.sort(
    (a, b) =>
      (timed ? b.savedMsPerSecond - a.savedMsPerSecond : hitsPerSecond(b) - hitsPerSecond(a)) ||
      b.callsPerSecond - a.callsPerSecond,
  )
}

interface Context {
  seconds: number
  totalMs: number
  writes: Map<string, number>
  fastMs: number
  maxTtl: number
}

function candidate(t: RecordedTarget, ctx: Context): Candidate {
  const n = Math.max(1, t.sampledCalls)
  const repetition = {
    within1s: t.repeats.within1s / n,
    within1m: t.repeats.within1m / n,
    within1h: t.repeats.within1h / n,
  }
  const s = t.stability
  const changeRate = s.compared === 0 ? undefined : s.changed / s.compared
  const personalShare = t.personal / n
  const concerns: Candidate['concerns'] = []
  const pct = (x: number) => `${Math.round(100 * x)} %`

  // TTL: a result should be cached for less time than it usually lasts.
  let ttlMs: number
  let ttlBasis: string
  if (s.changed > 0 && s.changeAfterP25 !== undefined) {
    ttlMs = Math.min(ctx.maxTtl, niceFloor(s.changeAfterP25 / 2))
    ttlBasis = `results changed after ${human(s.changeAfterP25)} or more in 3 of 4 changes (half of that, rounded down)`
  } else if (s.compared > 0) {
    ttlMs = Math.min(ctx.maxTtl, niceFloor(Math.max(SECOND, s.stableFor)))
    ttlBasis = `no result changed while recorded (longest unchanged: ${human(s.stableFor)}); invalidate on writes`
  } else {
    ttlMs = MINUTE
    ttlBasis = 'no repeated result to compare: a default to start from'
  }

  // Writes to the tables read end an entry's life early.
  let writeRate = 0
  for (const table of t.tablesRead) writeRate += (ctx.writes.get(table) ?? 0) / ctx.seconds
  const lifeMs = writeRate > 0 ? Math.min(ttlMs, 1000 / writeRate) : ttlMs
  let hitRatio = repeatWithin(repetition, lifeMs)
  if (changeRate !== undefined) hitRatio *= 1 - changeRate
  hitRatio *= 1 - personalShare
  const errorShare = t.errors / Math.max(1, t.calls)
  hitRatio *= 1 - errorShare

  let suggestion: Suggestion = t.kind === 'route' ? 'route cache' : t.kind === 'query' ? 'query cache' : 'memoize'
  if (personalShare > 0.5) {
    concerns.push({
      concern: 'personalised',
      detail: `${pct(personalShare)} of calls carry Authorization or Cookie or set a cookie: a shared cache would mix users' data`,
    })
    if (t.kind === 'route') suggestion = 'HTTP headers only'
  }
  if (changeRate !== undefined && changeRate > 0.5) {
    concerns.push({
      concern: 'volatile',
      detail: `${pct(changeRate)} of repeated calls returned a different result${s.changeAfterP50 === undefined ? '' : ` (median life ${human(s.changeAfterP50)})`}`,
    })
    suggestion = t.kind === 'route' ? 'HTTP headers only' : 'none'
  }
  if (writeRate > 0 && 1000 / writeRate < ttlMs) {
    concerns.push({
      concern: 'written often',
      detail: `its tables (${t.tablesRead.join(', ')}) get ${writeRate.toFixed(2)} writes/s: an entry lives about ${human(1000 / writeRate)} before a write invalidates it`,
    })
  }
  if (t.latency.p50 < ctx.fastMs) {
    concerns.push({ concern: 'fast', detail: `${t.latency.p50.toFixed(2)} ms median: a cache saves little` })
  }
  if (repetition.within1h < 0.1) {
    concerns.push({
      concern: 'rarely repeated',
      detail: `only ${pct(repetition.within1h)} of calls repeat a key within 1 h`,
    })
  }
  if (errorShare > 0.1) concerns.push({ concern: 'errors', detail: `${pct(errorShare)} of calls failed` })
  if (suggestion === 'none') hitRatio = 0

  const callsPerSecond = t.calls / ctx.seconds
  return {
    kind: t.kind,
    name: t.name,
    callsPerSecond,
    meanMs: t.latency.mean,
    p99Ms: t.latency.p99,
    shareOfTime: t.totalMs / ctx.totalMs,
    repetition,
    changeRate,
    personalShare,
    hitRatio,
    savedMsPerSecond: suggestion === 'HTTP headers only' ? 0 : callsPerSecond * hitRatio * t.latency.mean,
    suggestion,
    ttlMs: suggestion === 'none' ? undefined : ttlMs,
    ttlBasis,
    concerns,
  }
}
