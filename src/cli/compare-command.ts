/**
 * `cachestack compare`: the before/after of caching for the user's own app.
 * Replays the same requests, in the same order and with the same concurrency,
 * against the app with caching off and then on, and prints requests/s,
 * latency percentiles and errors side by side, as `npm run demo:load` does
 * for the demo.
 * @module
 */
import { readFileSync } from 'node:fs'
import { parseAccessLogLine } from '../analyze/access-log.js'
import { columns } from '../analyze/report.js'
import { CacheError } from '../core/errors.js'
import { flag, intFlag, type Parsed, UsageError } from './args.js'
import type { Io } from './io.js'

/** One run's figures. */
interface Run {
  mode: 'off' | 'on'
  requests: number
  seconds: number
  rps: number
  p50: number
  p99: number
  errors: number
}

const REQUEST = /^(?:(GET|HEAD)\s+)?(\/\S*)$/

/** @internal The requests of a file: an access log's GET and HEAD lines, or "GET /path" / "/path" lines. */
export function readRequests(text: string, source: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = []
  let n = 0
  for (const raw of text.split(/\r?\n/)) {
    n++
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const logged = parseAccessLogLine(line)
    if (logged !== undefined) {
      if (logged.method === 'GET' || logged.method === 'HEAD') out.push({ method: logged.method, path: logged.url })
      continue
    }
    const m = REQUEST.exec(line)
    if (m === null) {
      throw new CacheError(
        'ERR_CACHE_ANALYZE_INPUT',
        `${source} line ${n} is neither an access log line nor a request ("GET /path" or "/path"): ${JSON.stringify(line.slice(0, 120))}.`,
      )
    }
    out.push({ method: m[1] ?? 'GET', path: m[2]! })
  }
  return out
}

function baseUrl(v: string | undefined, name: string): URL | undefined {
  if (v === undefined) return undefined
  try {
    const u = new URL(v)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http')
    return u
  } catch {
    throw new UsageError(`--${name} must be an http(s) URL; got ${JSON.stringify(v)}.`)
  }
}

async function replay(
  base: URL,
  requests: readonly { method: string; path: string }[],
  concurrency: number,
  extra: { query?: [string, string]; header?: [string, string] },
  mode: 'off' | 'on',
): Promise<Run> {
  const latencies = new Float64Array(requests.length)
  let errors = 0
  let next = 0
  const t0 = performance.now()
  const worker = async () => {
    while (next < requests.length) {
      const i = next++
      const r = requests[i]!
      const url = new URL(r.path, base)
      if (extra.query !== undefined) url.searchParams.set(extra.query[0], extra.query[1])
      const start = performance.now()
      try {
        const res = await fetch(url, {
          method: r.method,
          ...(extra.header === undefined ? {} : { headers: { [extra.header[0]]: extra.header[1] } }),
        })
        await res.arrayBuffer()
        if (res.status >= 500) errors++
      } catch {
        errors++
      }
      latencies[i] = performance.now() - start
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker))
  const seconds = (performance.now() - t0) / 1000
  const sorted = latencies.slice().sort()
  const q = (x: number) => sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))] ?? 0
  return { mode, requests: requests.length, seconds, rps: requests.length / seconds, p50: q(0.5), p99: q(0.99), errors }
}

/** @internal Runs `cachestack compare FILE …`. */
export async function runCompare(p: Parsed, io: Io, path: string): Promise<number> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new CacheError('ERR_CACHE_ANALYZE_INPUT', `Cannot read ${path}: ${(error as Error).message}.`, {
      cause: error,
    })
  }
  const all = readRequests(text, path)
  if (all.length === 0) throw new UsageError(`${path} has no GET or HEAD request to replay.`)
  const requests = all.slice(0, intFlag(p, 'requests', Math.min(all.length, 100_000), 1_000_000))
  const concurrency = Math.max(1, intFlag(p, 'concurrency', 10, 1000))
  const one = baseUrl(flag(p, 'url'), 'url')
  const on = baseUrl(flag(p, 'on'), 'on') ?? one
  const offQuery = flag(p, 'off-query')
  const offHeader = flag(p, 'off-header')
  const off = baseUrl(flag(p, 'off'), 'off') ?? one
  if (on === undefined || off === undefined) {
    throw new UsageError(
      'Give the app: --on URL and --off URL (two instances), or --url URL with --off-query or --off-header.',
    )
  }
  if (flag(p, 'off') === undefined && offQuery === undefined && offHeader === undefined) {
    throw new UsageError(
      'With one --url, say how to turn caching off: --off-query NAME=VALUE or --off-header NAME:VALUE.',
    )
  }
  const split = (v: string | undefined, sep: string, name: string): [string, string] | undefined => {
    if (v === undefined) return undefined
    const i = v.indexOf(sep)
    if (i < 1) throw new UsageError(`--${name} must look like NAME${sep}VALUE; got ${JSON.stringify(v)}.`)
    return [v.slice(0, i).trim(), v.slice(i + 1).trim()]
  }
  const offExtra = { query: split(offQuery, '=', 'off-query'), header: split(offHeader, ':', 'off-header') }
  const clean = Object.fromEntries(Object.entries(offExtra).filter(([, v]) => v !== undefined))
  const runs = [
    await replay(off, requests, concurrency, clean, 'off'),
    await replay(on, requests, concurrency, {}, 'on'),
  ]
  const [a, b] = runs as [Run, Run]
  const speedup = b.rps / a.rps
  if (p.flags.json === true) {
    io.out(JSON.stringify({ requests: requests.length, concurrency, runs, speedup }, null, 2))
    return 0
  }
  const f = (x: number) => `${x.toFixed(1)} ms`
  io.out(
    `${requests.length.toLocaleString('en-US')} requests from ${path}, ${concurrency} in flight\n\n${columns([
      ['caching', 'requests/s', 'p50', 'p99', 'errors', 'time'],
      ...runs.map((r) => [r.mode, r.rps.toFixed(0), f(r.p50), f(r.p99), String(r.errors), `${r.seconds.toFixed(1)} s`]),
    ])}\n\nWith caching on: ${speedup.toFixed(2)}x the requests/s, p99 ${f(b.p99)} instead of ${f(a.p99)}.`,
  )
  return 0
}
