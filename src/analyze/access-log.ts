/**
 * nginx and Apache access logs in the combined format, read into a
 * recording: each GET or HEAD line is a call of its route (the path with ids
 * replaced by `:id`), keyed by its URL, at the time the line says.
 *
 * The combined format has no latency: when a number follows the user agent
 * (nginx `$request_time` in seconds, like `0.042`, or `rt=0.042`; Apache `%D`
 * in microseconds, an integer), it is read as the request's duration. Without
 * it the ranking orders by hits per second. The response size stands in for
 * the body digest (a changed size is a changed response; the same size may
 * hide a change), and a logged user (`$remote_user`) marks a call personal.
 * @module
 */
import { CacheError } from '../core/errors.js'
import { digestString } from './digest.js'
import { Recorder } from './recorder.js'
import type { Recording } from './recording.js'
import { isReadMethod, routeName } from './route-name.js'

const LINE =
  /^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+)(?: [^"]*)?" (\d{3}) (\d+|-)(?: "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*")?(.*)$/
const TIME = /^\s*(?:\S+=)?(\d+(?:\.\d+)?)\b/
const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
}
const DATE = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/

/** Whether a line looks like the combined (or common) log format. */
export function isAccessLogLine(line: string): boolean {
  return LINE.test(line)
}

/** `10/Oct/2000:13:55:36 -0700` → ms since the epoch, or NaN. */
export function parseLogDate(s: string): number {
  const m = DATE.exec(s)
  if (m === null || !Object.hasOwn(MONTHS, m[2]!)) return Number.NaN
  const utc = Date.UTC(Number(m[3]), MONTHS[m[2]!]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1)
  return utc - offset
}

/** One parsed line, or `undefined` for a line that is not in the format. */
export interface AccessLogEntry {
  at: number
  user: string
  method: string
  url: string
  status: number
  bytes: number
  /** The duration, ms, when the line has one. */
  ms: number | undefined
}

/** Parses one line of a combined-format access log. */
export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const m = LINE.exec(line)
  if (m === null) return undefined
  const at = parseLogDate(m[4]!)
  if (Number.isNaN(at)) return undefined
  const t = TIME.exec(m[9] ?? '')
  let ms: number | undefined
  if (t !== null) ms = t[1]!.includes('.') ? Number(t[1]) * 1000 : Number(t[1]) / 1000
  return {
    at,
    user: m[3]!,
    method: m[5]!,
    url: m[6]!,
    status: Number(m[7]),
    bytes: m[8] === '-' ? 0 : Number(m[8]),
    ms,
  }
}

/** Options of {@link readAccessLog}. */
export interface AccessLogOptions {
  /** Where the lines come from, for error messages. @defaultValue `'the access log'` */
  source?: string
  /** Lines that are not in the format are skipped, up to this share; more is an error. @defaultValue 0.1 */
  maxBadShare?: number
  /** Passed to the recorder. @defaultValue 1 */
  sampleRate?: number
}

/**
 * Reads the lines of an access log into a recording.
 * @throws CacheError `ERR_CACHE_ANALYZE_INPUT` when too many lines are not in the combined format
 */
export function readAccessLog(lines: Iterable<string>, options: AccessLogOptions = {}): Recording {
  const source = options.source ?? 'the access log'
  const recorder = new Recorder({ sampleRate: options.sampleRate ?? 1, traceSize: 2_000_000, maxKeys: 20_000 })
  let total = 0
  let bad = 0
  let firstBad: { n: number; line: string } | undefined
  let timed = 0
  for (const line of lines) {
    if (line.trim() === '') continue
    total++
    const e = parseAccessLogLine(line)
    if (e === undefined) {
      bad++
      firstBad ??= { n: total, line }
      continue
    }
    if (!isReadMethod(e.method)) continue
    if (e.ms !== undefined) timed++
    recorder.record({
      kind: 'route',
      name: routeName(e.method, e.url),
      key: `${e.method} ${e.url}`,
      ms: e.ms ?? 0,
      at: e.at,
      hash: digestString(`${e.status} ${e.bytes}`),
      personal: e.user !== '-',
      error: e.status >= 500,
    })
  }
  if (total > 0 && bad / total > (options.maxBadShare ?? 0.1)) {
    throw new CacheError(
      'ERR_CACHE_ANALYZE_INPUT',
      `${source}: ${bad} of ${total} lines are not in the combined log format (first: line ${firstBad!.n}: ${JSON.stringify(firstBad!.line.slice(0, 120))}).`,
    )
  }
  const recording = recorder.snapshot()
  if (timed === 0) recording.latencyUnknown = true
  return recording
}
