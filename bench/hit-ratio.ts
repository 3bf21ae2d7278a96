/**
 * Question: at the same size, how many more hits does the memory tier's
 * W-TinyLFU policy give than LRU (its own `policy: 'lru'` and lru-cache)?
 *
 * Replays each trace against every policy at several sizes and prints hit
 * ratios side by side. Synthetic traces are generated from fixed seeds (Zipf
 * α 0.7/0.9/1.1, Zipf interrupted by one-off scans, a loop 20 % larger than the
 * cache, a hot set that moves), so every run replays the same requests.
 * Belady's OPT (clairvoyant: it knows the future) is printed beside them as the
 * ceiling, so a target can be judged against what is possible at all.
 *
 *   npm run bench:hit-ratio                                  # the synthetic suite
 *   npm run bench:hit-ratio -- --trace FILE --sizes 1000,10000   # a real trace, one key per line
 *   npm run bench:hit-ratio -- --requests 200000             # a quicker run
 */
import { parseArgs } from 'node:util'
import { LRUCache } from 'lru-cache'
import { beladyOpt } from '../src/analyze/belady.js'
import { REPLAY_ENVELOPE as ENVELOPE, REPLAY_NEVER as NEVER } from '../src/analyze/replay-entry.js'
import type { Envelope } from '../src/index.js'
import { memoryStore } from '../src/index.js'
import { machineLine } from './lib/harness.js'
import {
  loopTrace,
  readTraceFile,
  shiftingTrace,
  type Trace,
  zipfTrace,
  zipfWithCrawler,
  zipfWithScans,
} from './lib/traces.js'

const { values } = parseArgs({
  options: {
    trace: { type: 'string', multiple: true },
    sizes: { type: 'string' },
    requests: { type: 'string' },
  },
})
const requests = Number(values.requests ?? 1_000_000)
const UNIVERSE = 100_000

/** A contender replays a trace through get, and set on a miss, as a cache in front of a loader does. */
interface Policy {
  name: string
  make(size: number): { get(key: string): unknown; set(key: string): void }
}

const policies: Policy[] = [
  {
    name: 'cachestack tinylfu',
    make(size) {
      const s = memoryStore({ maxEntries: size, policy: 'tinylfu' })
      return { get: (k) => s.get(k), set: (k) => s.set(k, ENVELOPE, NEVER) }
    },
  },
  {
    name: 'cachestack lru',
    make(size) {
      const s = memoryStore({ maxEntries: size, policy: 'lru' })
      return { get: (k) => s.get(k), set: (k) => s.set(k, ENVELOPE, NEVER) }
    },
  },
  {
    name: 'lru-cache',
    make(size) {
      const c = new LRUCache<string, Envelope>({ max: size })
      return { get: (k) => c.get(k), set: (k) => c.set(k, ENVELOPE) }
    },
  },
]

/**
 * Hit ratio over the whole trace, over the requests that are not one-off scan
 * keys (what the regular traffic sees), and per block of `block` requests.
 */
function replay(
  policy: Policy,
  trace: Trace,
  size: number,
  block = 0,
): { ratio: number; userRatio: number; blocks: number[] } {
  const cache = policy.make(size)
  const keys = trace.keys
  let hits = 0
  let scans = 0
  let blockHits = 0
  const blocks: number[] = []
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    if (cache.get(k) !== undefined) {
      hits++
      blockHits++
    } else {
      cache.set(k)
      if (k.startsWith('scan:')) scans++
    }
    if (block > 0 && (i + 1) % block === 0) {
      blocks.push(blockHits / block)
      blockHits = 0
    }
  }
  return { ratio: hits / keys.length, userRatio: hits / (keys.length - scans), blocks }
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  console.log(`\n### ${title}\n`)
  console.log(fmt(header))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const r of rows) console.log(fmt(r))
}

type Kind = 'zipf' | 'scan' | 'loop' | 'shift' | 'file'
interface Row {
  kind: Kind
  trace: string
  size: number
  ratios: number[]
  userRatios: number[]
  /** Belady's OPT: whole trace, and regular traffic only. */
  opt: number
  optUser: number
}

function run(kind: Kind, trace: Trace, size: number, rows: Row[]): void {
  const results = policies.map((p) => replay(p, trace, size))
  const opt = beladyOpt(trace.keys, size).ratio
  const scans = trace.keys.reduce((n, k) => (k.startsWith('scan:') ? n + 1 : n), 0)
  rows.push({
    opt,
    optUser: (opt * trace.keys.length) / (trace.keys.length - scans),
    kind,
    trace: trace.name,
    size,
    ratios: results.map((r) => r.ratio),
    userRatios: results.map((r) => r.userRatio),
  })
}

function printRows(title: string, rows: Row[]): void {
  table(
    title,
    ['trace', 'size', ...policies.map((p) => p.name), 'OPT (ceiling)', 'tinylfu − lru (points)', 'OPT − lru (points)'],
    rows.map((r) => [
      r.trace,
      r.size.toLocaleString('en'),
      ...r.ratios.map(pct),
      pct(r.opt),
      pts(r.ratios[0]! - r.ratios[1]!),
      pts(r.opt - r.ratios[1]!),
    ]),
  )
}

console.log(`${machineLine()}\n`)
const sizes = (values.sizes ?? '1000,5000,20000').split(',').map((s) => Number(s.replace(/_/g, '')))

if (values.trace !== undefined) {
  const rows: Row[] = []
  for (const file of values.trace) {
    const trace = readTraceFile(file)
    console.log(`${file}: ${trace.keys.length.toLocaleString('en')} requests`)
    for (const size of sizes) run('file', trace, size, rows)
  }
  printRows('Hit ratio on the given traces', rows)
} else {
  console.log(
    `${requests.toLocaleString('en')} requests per trace over ${UNIVERSE.toLocaleString('en')} keys (scans and loops add their own).`,
  )
  const rows: Row[] = []
  for (const alpha of [0.7, 0.9, 1.1]) {
    const trace = zipfTrace(alpha, requests, UNIVERSE)
    for (const size of sizes) run('zipf', trace, size, rows)
  }
  const scans = zipfWithScans(0.9, requests, UNIVERSE, 50_000, 2 * Math.max(...sizes))
  for (const size of sizes) run('scan', scans, size, rows)
  const crawler = zipfWithCrawler(0.9, requests, UNIVERSE, 100_000, 50_000)
  for (const size of sizes) run('scan', crawler, size, rows)
  for (const size of sizes) run('loop', loopTrace(Math.round(size * 1.2), requests), size, rows)
  const shifting = shiftingTrace(requests, UNIVERSE, 2_000, 100_000)
  for (const size of sizes) run('shift', shifting, size, rows)
  printRows('Hit ratio, whole trace', rows)
  const scanRows = rows.filter((r) => r.kind === 'scan')
  printRows(
    'Hit ratio of the regular traffic on the scan traces (scan keys, which no policy can hit, left out)',
    scanRows.map((r) => ({ ...r, ratios: r.userRatios, opt: r.optUser })),
  )

  // Targets from the issue.
  console.log()
  const check = (label: string, ok: boolean, detail: string) =>
    console.log(`- target ${label}: ${detail} ${ok ? 'MET' : 'NOT MET'}`)
  for (const kind of ['scan', 'loop'] as const) {
    const kindRows = rows.filter((r) => r.kind === kind)
    const gains = kindRows.map((r) => r.ratios[0]! - r.ratios[1]!)
    const worst = Math.min(...gains)
    const at = kindRows[gains.indexOf(worst)]!
    check(
      `tinylfu beats LRU by ≥ 10 points on the ${kind === 'scan' ? 'scan-interrupted Zipf' : 'loop'} trace at every size`,
      worst >= 0.1,
      `smallest gain ${pts(worst)} points (${at.trace}, size ${at.size.toLocaleString('en')}; OPT gains ${pts(at.opt - at.ratios[1]!)} there)`,
    )
  }
  const zipfGaps = rows.filter((r) => r.kind === 'zipf').map((r) => r.ratios[0]! - r.ratios[1]!)
  const worstZipf = Math.min(...zipfGaps)
  check('tinylfu never more than 1 point below LRU on plain Zipf', worstZipf >= -0.01, `worst ${pts(worstZipf)} points`)

  // The shifting working set, over time: hit ratio per block of requests around each shift.
  const size = sizes.includes(5000) ? 5000 : sizes[Math.floor(sizes.length / 2)]!
  const BLOCK = 1_000
  const names = [...policies.map((p) => p.name), 'OPT (ceiling)']
  const series = [
    ...policies.map((p) => replay(p, shifting, size, BLOCK).blocks),
    beladyOpt(shifting.keys, size, BLOCK).blocks,
  ]
  const shiftEvery = 100_000
  const shown: string[][] = []
  // The last shift with 20,000 requests after it.
  const at = Math.max(shiftEvery, Math.floor((requests - 20_000) / shiftEvery) * shiftEvery)
  for (let start = at - 5_000; start < at + 20_000; start += 2_500) {
    const b0 = start / BLOCK
    const cells = series.map((s) => {
      const part = s.slice(b0, b0 + 2_500 / BLOCK)
      return pct(part.reduce((a, x) => a + x, 0) / part.length)
    })
    shown.push([`${(start - at).toLocaleString('en')}`, ...cells])
  }
  table(
    `Shifting hot set, size ${size.toLocaleString('en')}: hit ratio per 2,500 requests around the shift at request ${at.toLocaleString('en')}`,
    ['requests after shift', ...names],
    shown,
  )
  // First reads of a key are misses for every policy, OPT included: they bound how
  // fast any cache can get back. The hit ratio on re-reads (requests for a key read
  // before) leaves them out, so it shows what the policy itself adds.
  const firsts = new Float64Array(series[0]!.length)
  const seen = new Set<string>()
  shifting.keys.forEach((k, i) => {
    if (seen.has(k)) return
    seen.add(k)
    if (i < firsts.length * BLOCK) firsts[Math.floor(i / BLOCK)]!++
  })
  const rereads = series.map((s) => s.map((ratio, b) => (ratio * BLOCK) / Math.max(1, BLOCK - firsts[b]!)))
  // Recovery: requests after a shift until a 1,000-request block is back within
  // 5 points of the 20,000 requests before it. Median over every shift.
  const recoveryOf = (s: number[]) => {
    const times: number[] = []
    for (let shift = shiftEvery; shift + shiftEvery <= s.length * BLOCK; shift += shiftEvery) {
      const b = shift / BLOCK
      const before = s.slice(b - 20, b).reduce((a, x) => a + x, 0) / 20
      let n = 0
      while (b + n < s.length && s[b + n]! < before - 0.05) n++
      times.push((n + 1) * BLOCK)
    }
    times.sort((x, y) => x - y)
    return times[times.length >> 1]!
  }
  const recovery = series.map(recoveryOf)
  const rereadRecovery = rereads.map(recoveryOf)
  console.log()
  names.forEach((name, i) => {
    console.log(
      `- ${name}: back within 5 points of its pre-shift hit ratio after ${recovery[i]!.toLocaleString('en')} requests; on re-reads, after ${rereadRecovery[i]!.toLocaleString('en')} (medians over shifts)`,
    )
  })
  check(
    'tinylfu adapts to a shifted working set within a few thousand requests (hit ratio on re-reads)',
    rereadRecovery[0]! <= 5_000,
    `${rereadRecovery[0]!.toLocaleString('en')} requests (LRU ${rereadRecovery[1]!.toLocaleString('en')}). Counting first reads too, which every policy misses: ${recovery[0]!.toLocaleString('en')} (LRU ${recovery[1]!.toLocaleString('en')}, OPT ${recovery[3]!.toLocaleString('en')})`,
  )
}
