/**
 * The analyzer's reports as text for a terminal: the ranking table with its
 * reasons, and the simulator's hit-ratio table with its summary sentence.
 * @module
 */
import { type Candidate, formatTtl } from './ranking.js'
import type { Recording } from './recording.js'
import { type SimulationResult, summarize } from './simulator.js'

const pct = (x: number) => `${(100 * x).toFixed(0)} %`
const ms = (x: number) => (x >= 100 ? `${x.toFixed(0)} ms` : x >= 1 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`)

/** Lays out rows in columns, the first row a header. */
export function columns(rows: readonly string[][], indent = ''): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows
    .map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd())
    .join('\n')
}

/**
 * The ranking for people: one row per candidate, then each candidate's
 * suggested TTL basis and reasons against.
 *
 * @param candidates - from {@link rankCandidates}
 * @param recording - the recording they came from (for its time span)
 * @param limit - rows shown (default 20)
 */
export function formatRanking(candidates: readonly Candidate[], recording: Recording, limit = 20): string {
  const seconds = Math.max(0, (recording.endedAt - recording.startedAt) / 1000)
  const calls = recording.targets.reduce((s, t) => s + t.calls, 0)
  const head = `${calls.toLocaleString('en-US')} calls over ${seconds.toFixed(1)} s, ${recording.targets.length} targets${recording.sampleRate < 1 ? ` (keys sampled at ${recording.sampleRate})` : ''}${recording.latencyUnknown ? '; no durations in the source: ranked by hits per second' : ''}`
  if (candidates.length === 0) return `${head}\nNothing to rank: no read was recorded.`
  const shown = candidates.slice(0, limit)
  const rows = [
    ['#', 'target', 'calls/s', 'mean', 'p99', 'time', 'repeat 1m', 'hit est.', 'saves ms/s', 'suggest', 'ttl'],
    ...shown.map((c, i) => [
      String(i + 1),
      `${c.kind} ${c.name.length > 60 ? `${c.name.slice(0, 57)}...` : c.name}`,
      c.callsPerSecond.toFixed(1),
      ms(c.meanMs),
      ms(c.p99Ms),
      pct(c.shareOfTime),
      pct(c.repetition.within1m),
      pct(c.hitRatio),
      c.savedMsPerSecond.toFixed(1),
      c.suggestion,
      c.ttlMs === undefined ? '-' : formatTtl(c.ttlMs),
    ]),
  ]
  const notes = shown
    .map((c, i) => {
      const lines = [`  ttl: ${c.ttlBasis}`, ...c.concerns.map((k) => `  ${k.concern}: ${k.detail}`)]
      return `${i + 1}. ${c.kind} ${c.name}\n${lines.join('\n')}`
    })
    .join('\n')
  const more = candidates.length > limit ? `\n… ${candidates.length - limit} more (--limit)` : ''
  return `${head}\n\n${columns(rows)}${more}\n\n${notes}`
}

/** The simulator's table (one row per size, one column per policy) and its summary sentence. */
export function formatSimulation(result: SimulationResult): string {
  const opt = result.curves.find((c) => c.policy === 'opt')
  const header = ['L1 entries', ...result.curves.map((c) => c.policy)]
  const tiny = result.curves.find((c) => c.policy === 'tinylfu')
  if (tiny !== undefined && opt !== undefined) header.push('tinylfu/opt')
  const rows = result.sizes.map((size, i) => {
    const row = [size.toLocaleString('en-US'), ...result.curves.map((c) => `${(100 * c.ratios[i]!).toFixed(2)} %`)]
    if (tiny !== undefined && opt !== undefined) row.push(pct(tiny.ratios[i]! / Math.max(1e-9, opt.ratios[i]!)))
    return row
  })
  return `${result.requests.toLocaleString('en-US')} requests, ${result.distinct.toLocaleString('en-US')} distinct keys\n\n${columns([header, ...rows])}\n\n${summarize(result)}`
}
