/**
 * Reading header fields from any shape a caller has at hand: a web `Headers`,
 * node's `IncomingHttpHeaders`/`OutgoingHttpHeaders` record, or a plain record.
 * The semantics functions take {@link HeadersLike} so the middleware, the proxy
 * and `cachedFetch` share them without converting headers first.
 * @module
 */
import { lookupTable, ownValue } from '../../core/own.js'

/** Headers as a web `Headers` object or a record keyed by lower-case field name (node's shape). */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | number | undefined>>

/**
 * The value of field `name` (lower-case), or `undefined`. Repeated field lines
 * are joined with `, ` as RFC 9110 §5.3 allows for list-valued fields.
 */
export function getHeader(headers: HeadersLike | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined
  }
  // A record (node's req.headers) inherits `constructor` and friends: read only the fields sent.
  const v = ownValue(headers as Record<string, string | readonly string[] | number | undefined>, name)
  if (v === undefined) return undefined
  if (typeof v === 'string') return v
  if (typeof v === 'number') return String(v)
  return v.join(', ')
}

const MONTHS = lookupTable({
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
})
// RFC 9110 §5.6.7: IMF-fixdate, and the two obsolete forms a recipient MUST accept.
const IMF = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const RFC850 = /^[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) into epoch milliseconds, or `undefined`
 * when it is not one. Written here rather than using `Date.parse`, which reads
 * the asctime form as local time and accepts much that is not an HTTP-date.
 * A two-digit RFC 850 year more than 50 years in the future is read as the past
 * century, as §5.6.7 requires.
 */
export function parseHttpDate(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined
  const s = value.trim()
  let m = IMF.exec(s)
  if (m !== null) return utc(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!)
  m = RFC850.exec(s)
  if (m !== null) {
    const thisYear = new Date(now).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + +m[3]!
    if (year > thisYear + 50) year -= 100
    return utc(year, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!)
  }
  m = ASCTIME.exec(s)
  if (m !== null) return utc(+m[6]!, m[1]!, +m[2]!.trim(), +m[3]!, +m[4]!, +m[5]!)
  return undefined
}

function utc(year: number, mon: string, day: number, h: number, mi: number, s: number): number | undefined {
  const month = MONTHS.get(mon.toLowerCase())
  if (month === undefined || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return undefined
  return Date.UTC(year, month, day, h, mi, s)
}

/** Formats epoch milliseconds as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`). */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString()
}

/** RFC 9110 §7.6.1: fields that describe one connection, never forwarded or stored (lower case). */
export const HOP_BY_HOP_FIELDS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]
