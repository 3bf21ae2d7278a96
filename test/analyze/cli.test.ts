/**
 * `cachestack analyze`, `simulate` and `compare` as a user runs them: on an
 * nginx access log, a saved recording and a key trace, in-process through the
 * CLI's runner; `compare` against a real server with a cache switch.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRecorder, parseAccessLogLine } from '../../src/analyze.js'
import type { Io } from '../../src/cli/io.js'
import { runCli } from '../../src/cli/run.js'

const dir = mkdtempSync(join(tmpdir(), 'cachestack-analyze-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: Io = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), untilStopped: async () => {} }
  const code = await runCli(argv, io)
  return { code, out, err }
}

/** An nginx log with $request_time: a slow catalog read often, a fast health check, a logged-in page, a POST. */
function accessLog(): string {
  const lines: string[] = []
  const at = (s: number) => {
    const m = String(Math.floor(s / 60)).padStart(2, '0')
    return `07/Dec/2026:10:${m}:${String(s % 60).padStart(2, '0')} +0000`
  }
  for (let s = 0; s < 600; s++) {
    lines.push(`10.0.0.1 - - [${at(s)}] "GET /products/${(s % 5) + 1}?lang=en HTTP/1.1" 200 512 "-" "curl/8" 0.080`)
    lines.push(`10.0.0.2 - - [${at(s)}] "GET /health HTTP/1.1" 200 2 "-" "kube-probe" 0.000`)
    if (s % 3 === 0) lines.push(`10.0.0.3 - alice [${at(s)}] "GET /account HTTP/1.1" 200 900 "-" "Firefox" 0.050`)
    if (s % 10 === 0) lines.push(`10.0.0.3 - alice [${at(s)}] "POST /cart HTTP/1.1" 303 0 "-" "Firefox" 0.020`)
  }
  return `${lines.join('\n')}\n`
}

describe('cachestack analyze', () => {
  const log = join(dir, 'access.log')
  beforeAll(() => writeFileSync(log, accessLog()))

  it('parses combined log lines with nginx and Apache durations', () => {
    expect(
      parseAccessLogLine('1.2.3.4 - - [07/Dec/2026:10:00:00 +0100] "GET /a?b=1 HTTP/1.1" 200 5 "-" "x" 0.250'),
    ).toEqual({
      at: Date.UTC(2026, 11, 7, 9, 0, 0),
      user: '-',
      method: 'GET',
      url: '/a?b=1',
      status: 200,
      bytes: 5,
      ms: 250,
    })
    expect(parseAccessLogLine('1.2.3.4 - - [07/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 - "-" "x" 1500')!.ms).toBe(
      1.5,
    )
    expect(parseAccessLogLine('1.2.3.4 - - [07/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 304 0')!.ms).toBeUndefined()
    expect(parseAccessLogLine('not a log line')).toBeUndefined()
  })

  it('ranks an access log: the slow repeated read first, the logged-in page flagged', async () => {
    const { code, out } = await run('analyze', log)
    expect(code).toBe(0)
    expect(out).toMatch(/^1,400 calls over 599\.0 s, 3 targets/)
    const rows = out.split('\n').filter((l) => /^\d+ {2}route /.test(l))
    expect(rows.map((r) => r.split(/\s{2,}/)[1])).toEqual([
      'route GET /products/:id',
      'route GET /health',
      'route GET /account',
    ])
    expect(out).toMatch(/personalised: 100 % of calls/)
    expect(out).toMatch(/fast: 0\.00 ms median/)
  })

  it('--json gives the candidates and --svg writes the chart', async () => {
    const svg = join(dir, 'latency.svg')
    const { code, out } = await run('analyze', log, '--json', '--svg', svg)
    expect(code).toBe(0)
    const data = JSON.parse(out) as {
      source: string
      candidates: { name: string; suggestion: string; ttlMs: number }[]
    }
    expect(data.source).toBe('access log')
    expect(data.candidates[0]).toMatchObject({ name: 'GET /products/:id', suggestion: 'route cache' })
    expect(data.candidates[0]!.ttlMs).toBeGreaterThanOrEqual(60_000)
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*1\. route GET \/products\/:id[\s\S]*<\/svg>\n$/)
  })

  it('reads a saved recording', async () => {
    const recorder = createRecorder()
    for (let i = 0; i < 50; i++) {
      recorder.record({ kind: 'function', name: 'slow', key: String(i % 5), ms: 30, hash: i % 5, at: 1000 + i * 100 })
    }
    const file = join(dir, 'recording.json')
    writeFileSync(file, JSON.stringify(recorder.snapshot()))
    const { code, out } = await run('analyze', file, '--json')
    expect(code).toBe(0)
    expect(JSON.parse(out).candidates[0]).toMatchObject({ kind: 'function', name: 'slow', suggestion: 'memoize' })
  })

  it('refuses what it cannot read, with ERR_CACHE_ANALYZE_INPUT or a usage error', async () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{"format":"something else"}')
    expect((await run('analyze', bad)).err).toMatch(/is not a cachestack recording: .*ERR_CACHE_ANALYZE_INPUT/)
    expect((await run('analyze', join(dir, 'missing.log'))).err).toMatch(/Cannot read .*ERR_CACHE_ANALYZE_INPUT/)
    const keys = join(dir, 'keys.txt')
    writeFileSync(keys, 'a\nb\na\n')
    const plain = await run('analyze', keys)
    expect(plain.code).toBe(2)
    expect(plain.err).toMatch(/plain key trace: it has no timings/)
    const unknown = await run('simulate', keys, '--size', '10')
    expect(unknown.code).toBe(2)
    expect(unknown.err).toMatch(/Unknown option --size for "simulate"/)
  })
})

describe('cachestack simulate', () => {
  it('prints the curve for a key trace, with an SVG chart', async () => {
    // A loop over 120 keys: LRU at 100 entries never hits; OPT and W-TinyLFU keep some.
    const keys = Array.from({ length: 12_000 }, (_, i) => `key:${i % 120}`)
    const file = join(dir, 'loop.txt')
    writeFileSync(file, `${keys.join('\n')}\n`)
    const svg = join(dir, 'curve.svg')
    const { code, out } = await run('simulate', file, '--sizes', '100,120', '--json', '--svg', svg)
    expect(code).toBe(0)
    const r = JSON.parse(out) as { curves: { policy: string; ratios: number[] }[]; distinct: number; summary: string }
    expect(r.distinct).toBe(120)
    const at = (p: string) => r.curves.find((c) => c.policy === p)!.ratios
    expect(at('lru')[0]).toBe(0)
    expect(at('opt')[0]).toBeGreaterThan(0.8)
    expect(at('tinylfu')[0]).toBeGreaterThan(0.5)
    expect(at('lru')[1]).toBeCloseTo(0.99)
    expect(r.summary).toMatch(/^An L1 of 1[02]0 entries \(tinylfu\)/)
    expect(readFileSync(svg, 'utf8')).toContain('<polyline')
    const text = await run('simulate', file, '--sizes', '100')
    expect(text.out).toMatch(
      /L1 entries +lru +tinylfu +opt +tinylfu\/opt\n100 +0\.00 % +\d+\.\d\d % +\d+\.\d\d % +\d+ %\n/,
    )
  })
})

describe('cachestack compare', () => {
  let server: Server
  let base: string
  beforeAll(async () => {
    const memo = new Map<string, string>()
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x')
      const off = url.searchParams.get('cache') === 'off'
      const hit = !off && memo.has(url.pathname)
      res.setHeader('x-cache', hit ? 'hit' : 'miss')
      if (hit) return res.end(memo.get(url.pathname))
      setTimeout(() => {
        memo.set(url.pathname, url.pathname)
        res.end(url.pathname)
      }, 5)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('replays the same requests with caching off, then on', async () => {
    const file = join(dir, 'requests.txt')
    writeFileSync(file, Array.from({ length: 60 }, (_, i) => `GET /p/${i % 6}`).join('\n'))
    const { code, out } = await run('compare', file, '--url', base, '--off-query', 'cache=off', '--json')
    expect(code).toBe(0)
    const r = JSON.parse(out) as { requests: number; runs: { mode: string; requests: number; errors: number }[] }
    expect(r.requests).toBe(60)
    expect(r.runs.map((x) => [x.mode, x.requests, x.errors])).toEqual([
      ['off', 60, 0],
      ['on', 60, 0],
    ])
    const missing = await run('compare', file, '--url', base)
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/say how to turn caching off/)
  })
})
