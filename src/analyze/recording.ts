/**
 * The recording: what a {@link Recorder} saw, as plain JSON-safe data. It is
 * what `cachestack analyze` and `cachestack simulate` read, what the
 * dashboard's Analyzer page shows, and what a saved file holds. Read a file
 * back with {@link parseRecording}, which checks its shape.
 * @module
 */
import { CacheError } from '../core/errors.js'

/** What was called: an HTTP route, a database query, a function. */
export type TargetKind = 'route' | 'query' | 'function'

/** One target's figures. Counts named `calls`, `errors`, `keys`, `totalMs` are scaled to the whole traffic; the rest are counts over the sampled keys. */
export interface RecordedTarget {
  kind: TargetKind
  /** `GET /products/:id`, a normalised SQL text, a function name. */
  name: string
  /** Calls (estimated from the sample). */
  calls: number
  /** Calls recorded (of sampled keys). */
  sampledCalls: number
  /** Failed calls (estimated). */
  errors: number
  /** Time spent in it, ms (estimated). */
  totalMs: number
  /** Latency of the recorded calls, ms. */
  latency: { mean: number; p50: number; p90: number; p99: number; max: number }
  /** Distinct keys (estimated). */
  keys: number
  /** Recorded calls whose key was last called at most 1 s, 1 min, 1 h before. */
  repeats: { within1s: number; within1m: number; within1h: number }
  /**
   * Result stability: `compared` repeated calls whose result could be compared
   * with the key's previous one, `changed` of them had a different result; the
   * quartile and median time a result lasted before it changed, ms; the longest
   * time a result was seen unchanged, ms.
   */
  stability: { compared: number; changed: number; changeAfterP25?: number; changeAfterP50?: number; stableFor: number }
  /** Recorded calls that carried or set credentials (Authorization, Cookie, Set-Cookie). */
  personal: number
  /** Tables read (queries). */
  tablesRead: string[]
  /** Tables written (write queries). */
  tablesWritten: string[]
}

/** The key trace: `length` calls, `data` base64 of (uint16 target index into `targets`, uint32 key digest) little-endian pairs. */
export interface RecordedTrace {
  targets: string[]
  length: number
  data: string
}

/** A recording (format `cachestack-recording`, version 1). */
export interface Recording {
  format: 'cachestack-recording'
  version: 1
  /** First and last call recorded, ms since the epoch (0 when empty). */
  startedAt: number
  endedAt: number
  /** The share of keys recorded. */
  sampleRate: number
  targets: RecordedTarget[]
  /** Writes per table (estimated). */
  tableWrites: { table: string; writes: number }[]
  trace: RecordedTrace
  /** Set when the source had no durations (an access log without a request-time field): ranked by hits per second. */
  latencyUnknown?: boolean
}

/**
 * Checks that `data` (a parsed JSON file) is a recording.
 * @throws CacheError `ERR_CACHE_ANALYZE_INPUT` naming what is wrong
 */
export function parseRecording(data: unknown, source = 'the recording'): Recording {
  const bad = (what: string) =>
    new CacheError('ERR_CACHE_ANALYZE_INPUT', `${source} is not a cachestack recording: ${what}.`)
  if (data === null || typeof data !== 'object') throw bad('not a JSON object')
  const r = data as Partial<Recording>
  if (r.format !== 'cachestack-recording') throw bad('its "format" is not "cachestack-recording"')
  if (r.version !== 1) throw bad(`version ${JSON.stringify(r.version)} is not one this cachestack reads (1)`)
  if (!Array.isArray(r.targets)) throw bad('"targets" is not an array')
  for (const t of r.targets) {
    if (t === null || typeof t !== 'object' || typeof t.name !== 'string' || typeof t.calls !== 'number') {
      throw bad('a target has no name or calls')
    }
    if (t.kind !== 'route' && t.kind !== 'query' && t.kind !== 'function') throw bad(`target kind ${t.kind}`)
  }
  if (!(typeof r.sampleRate === 'number' && r.sampleRate > 0 && r.sampleRate <= 1)) throw bad('bad "sampleRate"')
  if (!Array.isArray(r.tableWrites)) throw bad('"tableWrites" is not an array')
  const tr = r.trace
  if (tr === null || typeof tr !== 'object' || typeof tr.data !== 'string' || !Array.isArray(tr.targets)) {
    throw bad('"trace" is missing')
  }
  return r as Recording
}

/**
 * The trace as dense key ids (0, 1, 2, … in order of first call), the form the
 * simulator replays; keys of different targets are different keys.
 */
export function traceIds(trace: RecordedTrace): { ids: Int32Array; distinct: number } {
  const bytes = Buffer.from(trace.data, 'base64')
  const n = Math.min(trace.length, Math.floor(bytes.length / 6))
  const ids = new Int32Array(n)
  const idOf = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const k = bytes.readUInt16LE(i * 6) * 2 ** 32 + bytes.readUInt32LE(i * 6 + 2)
    let id = idOf.get(k)
    if (id === undefined) {
      id = idOf.size
      idOf.set(k, id)
    }
    ids[i] = id
  }
  return { ids, distinct: idOf.size }
}
