/**
 * Range requests answered from a stored full response (RFC 9110 §14):
 * one `bytes` range gets a 206, an unsatisfiable one a 416; several ranges,
 * another unit or a failed `If-Range` get the whole 200, which §14.2 allows.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseETag, strongMatch } from '../semantics/conditional.js'
import { parseHttpDate } from '../semantics/headers.js'
import type { Facts } from './facts.js'
import type { ProxyStored } from './stored.js'

/** A satisfiable byte range, inclusive, or 'unsatisfiable', or undefined to ignore the header. */
export function parseRange(
  header: string,
  length: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (m === null) return undefined
  const [, a, b] = m
  if (a === '' && b === '') return undefined
  if (a === '') {
    const n = Number(b)
    if (n === 0) return 'unsatisfiable'
    return { start: Math.max(0, length - n), end: length - 1 }
  }
  const start = Number(a)
  const end = b === '' ? length - 1 : Math.min(Number(b), length - 1)
  if (b !== '' && Number(b) < start) return undefined
  if (start >= length) return 'unsatisfiable'
  return { start, end }
}

/** Whether `If-Range` (if any) lets the range apply (§13.1.5: strong entity-tag or exact date). */
function ifRangeHolds(req: IncomingMessage, f: Facts): boolean {
  const v = req.headers['if-range'] as string | undefined
  if (v === undefined) return true
  const tag = parseETag(v)
  if (tag !== undefined) {
    const cur = parseETag(f.etag)
    return cur !== undefined && strongMatch(tag, cur)
  }
  const d = parseHttpDate(v)
  const lm = parseHttpDate(f.lastModified)
  return d !== undefined && lm !== undefined && d === lm
}

/** Writes the part of `stored` the request's `Range` asks for. */
export function serveRange(
  req: IncomingMessage,
  res: ServerResponse,
  stored: ProxyStored,
  f: Facts,
  age: number,
  cacheStatus: string,
): void {
  const len = stored.b.byteLength
  const range = ifRangeHolds(req, f) ? parseRange(String(req.headers.range ?? ''), len) : undefined
  const head = f.head.slice()
  head[head.length - 3] = String(Math.floor(age))
  head[head.length - 1] = cacheStatus
  const head2: string[] = []
  for (let i = 0; i < head.length; i += 2) if (head[i] !== 'content-length') head2.push(head[i]!, head[i + 1]!)
  head2.push('accept-ranges', 'bytes')
  if (range === undefined) {
    res.writeHead(200, head)
    res.end(req.method === 'HEAD' ? undefined : stored.b)
    return
  }
  if (range === 'unsatisfiable') {
    head2.push('content-range', `bytes */${len}`, 'content-length', '0')
    res.writeHead(416, head2)
    res.end()
    return
  }
  head2.push('content-range', `bytes ${range.start}-${range.end}/${len}`)
  head2.push('content-length', String(range.end - range.start + 1))
  res.writeHead(206, head2)
  res.end(req.method === 'HEAD' ? undefined : stored.b.subarray(range.start, range.end + 1))
}
