/**
 * `cachestack analyze`, `cachestack simulate` and `cachestack compare`: the
 * analyzer's commands. They read files (a recording, an access log, a key
 * trace) or replay traffic, and need no cache tier, so they have their own
 * flags and are loaded only when asked for.
 * @module
 */
import { writeFileSync } from 'node:fs'
import { readInput } from '../analyze/input-file.js'
import { rankCandidates } from '../analyze/ranking.js'
import { formatRanking, formatSimulation } from '../analyze/report.js'
import { type SimulatedPolicy, simulate, summarize } from '../analyze/simulator.js'
import { hitRatioChart, latencyRepetitionChart } from '../analyze/svg-chart.js'
import { flag, intFlag, type Parsed, parseArgs, UsageError } from './args.js'
import { runCompare } from './compare-command.js'
import type { Io } from './io.js'

const HELP: Record<string, { usage: string; details: string; flags: string[] }> = {
  analyze: {
    usage: 'cachestack analyze FILE [--limit 20] [--fast-ms 1] [--svg chart.svg] [--json]',
    details: `FILE is a recording (JSON saved from recorder.snapshot(), see cachestack/analyze) or an nginx/Apache access log in the combined format. Prints the routes, queries and functions ranked by the time a cache would save per second, each with a suggested cache, a TTL and the reasons against (personalised, volatile, written often, fast, rarely repeated).
  --limit N      rows printed (default 20)
  --fast-ms MS   mean latency below which a target is marked fast (default 1)
  --svg PATH     also write the latency-vs-repetition chart
  --json         print JSON: { candidates, recording: { startedAt, endedAt, sampleRate, targets } }`,
    flags: ['limit', 'fast-ms', 'svg', 'json', 'help'],
  },
  simulate: {
    usage: 'cachestack simulate FILE [--sizes 1000,10000] [--policies lru,tinylfu,opt] [--svg chart.svg] [--json]',
    details: `FILE is a recording, an access log, or a key trace (one key per line). Replays its keys against memory tiers of each size (cachestack's own memoryStore with policy 'tinylfu' and 'lru') and Belady's OPT (the ceiling), and prints the hit ratio of each.
  --sizes LIST     L1 sizes in entries (default: ten sizes from 0.1 % to 100 % of the distinct keys)
  --policies LIST  any of lru, tinylfu, opt (default all three)
  --svg PATH       also write the hit-ratio curve as an SVG chart
  --json           print JSON`,
    flags: ['sizes', 'policies', 'svg', 'json', 'help'],
  },
  compare: {
    usage:
      'cachestack compare FILE --url URL --off-query cache=off | --on URL --off URL [--requests N] [--concurrency 10] [--json]',
    details: `FILE is an access log or a list of requests (one per line: "GET /path" or "/path"). Sends the same requests, in the same order, to the app with caching off and then on, and prints requests/s, p50 and p99 latency and errors side by side.
  --on URL, --off URL   two instances of the app (for example one started with a null cache)
  --url URL             one instance; --off-query NAME=VALUE is added to each URL of the "off" run (the demo: cache=off)
  --off-header NAME:VALUE  or this header is sent in the "off" run
  --requests N          requests per run (default: all in FILE, at most 100000)
  --concurrency N       requests in flight (default 10)
  --json                print JSON`,
    flags: ['on', 'off', 'url', 'off-query', 'off-header', 'requests', 'concurrency', 'json', 'help'],
  },
}

function usage(command: string): string {
  const h = HELP[command]!
  return `${h.usage}\n\n${h.details}`
}

function file(p: Parsed, command: string): string {
  const f = p.positionals[0]
  if (f === undefined || f === '') throw new UsageError(`Missing FILE. Usage: ${HELP[command]!.usage}`)
  if (p.positionals.length > 1) throw new UsageError(`One FILE at a time. Usage: ${HELP[command]!.usage}`)
  return f
}

function list(p: Parsed, name: string): string[] | undefined {
  const v = flag(p, name)
  return v === undefined ? undefined : v.split(',').map((s) => s.trim())
}

async function analyzeCommand(p: Parsed, io: Io): Promise<number> {
  const input = readInput(file(p, 'analyze'))
  if (input.recording === undefined) {
    throw new UsageError(
      'This file is a plain key trace: it has no timings to rank. Rank a recording or an access log; replay a key trace with "cachestack simulate".',
    )
  }
  const fast = flag(p, 'fast-ms')
  const fastMs = fast === undefined ? 1 : Number(fast)
  if (!(fastMs >= 0)) throw new UsageError(`--fast-ms must be a number ≥ 0; got ${JSON.stringify(fast)}.`)
  const candidates = rankCandidates(input.recording, { fastMs })
  const svg = flag(p, 'svg')
  if (svg !== undefined) writeFileSync(svg, latencyRepetitionChart(candidates))
  if (p.flags.json === true) {
    const { trace: _trace, ...recording } = input.recording
    io.out(JSON.stringify({ source: input.kind, candidates, recording }, null, 2))
  } else {
    io.out(formatRanking(candidates, input.recording, intFlag(p, 'limit', 20, 10_000)))
    if (svg !== undefined) io.out(`\nchart: ${svg}`)
  }
  return 0
}

async function simulateCommand(p: Parsed, io: Io): Promise<number> {
  const input = readInput(file(p, 'simulate'))
  const sizes = list(p, 'sizes')?.map((s) => {
    const n = Number(s.replace(/_/g, '').replace(/k$/i, '000'))
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--sizes takes positive integers; got ${JSON.stringify(s)}.`)
    return n
  })
  const policies = list(p, 'policies')?.map((s) => {
    if (s !== 'lru' && s !== 'tinylfu' && s !== 'opt') {
      throw new UsageError(`--policies takes lru, tinylfu and opt; got ${JSON.stringify(s)}.`)
    }
    return s as SimulatedPolicy
  })
  const { ids, distinct, sampleRate } = input.trace
  if (ids.length === 0) throw new UsageError('The trace is empty: record some traffic first.')
  const result = simulate(ids, distinct, {
    ...(sizes === undefined ? {} : { sizes }),
    ...(policies === undefined ? {} : { policies }),
    sampleRate,
  })
  const svg = flag(p, 'svg')
  if (svg !== undefined) writeFileSync(svg, hitRatioChart(result))
  if (p.flags.json === true) io.out(JSON.stringify({ ...result, summary: summarize(result) }, null, 2))
  else io.out(`${formatSimulation(result)}${svg === undefined ? '' : `\n\nchart: ${svg}`}`)
  return 0
}

/** @internal Runs `cachestack analyze|simulate|compare …` (argv starts with the command name). */
export async function runAnalyzeCommand(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv)
  const command = p.command!
  const help = HELP[command]!
  if (p.flags.help === true) {
    io.out(usage(command))
    return 0
  }
  for (const name of Object.keys(p.flags)) {
    if (!help.flags.includes(name)) {
      throw new UsageError(
        `Unknown option --${name} for "${command}". Its options: ${help.flags.map((f) => `--${f}`).join(', ')}.`,
      )
    }
  }
  if (command === 'analyze') return analyzeCommand(p, io)
  if (command === 'simulate') return simulateCommand(p, io)
  return runCompare(p, io, file(p, 'compare'))
}
