/**
 * The dashboard's Analyzer page: the analyzer's ranking of what to cache, as
 * `cachestack analyze` prints it, with the latency-vs-repetition chart and the
 * hit-ratio curve of the recorded keys. Rendered on the server from the
 * recorder's snapshot (no script), refreshed every 10 s; every value is
 * escaped.
 * @module
 */
import { type Candidate, formatTtl, rankCandidates } from '../analyze/ranking.js'
import type { Recording } from '../analyze/recording.js'
import { traceIds } from '../analyze/recording.js'
import { simulate, summarize } from '../analyze/simulator.js'
import { hitRatioChart, latencyRepetitionChart } from '../analyze/svg-chart.js'

/** What the Analyzer page reads: a `Recorder` from cachestack/analyze, or anything with its `snapshot()`. */
export interface AnalyzerSource {
  snapshot(): Recording
}

/** Keys replayed for the page's curve at most (the most recent ones), so a page view stays quick. */
const CURVE_REQUESTS = 100_000

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const pct = (x: number) => `${(100 * x).toFixed(0)} %`
const ms = (x: number) => (x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(2)} ms`)

/** @internal The ranking and the recording summary as JSON (the page's `api/analyze`). */
export function analyzerData(source: AnalyzerSource): { candidates: Candidate[]; recording: Omit<Recording, 'trace'> } {
  const full = source.snapshot()
  const { trace: _trace, ...recording } = full
  return { candidates: rankCandidates(full), recording }
}

function row(c: Candidate, i: number): string {
  const concerns = c.concerns.map((k) => `<li><b>${esc(k.concern)}</b>: ${esc(k.detail)}</li>`).join('')
  return `<tr>
<td>${i + 1}</td><td><code>${esc(`${c.kind} ${c.name}`)}</code><ul>${concerns}</ul></td>
<td>${c.callsPerSecond.toFixed(1)}</td><td>${ms(c.meanMs)}</td><td>${ms(c.p99Ms)}</td><td>${pct(c.shareOfTime)}</td>
<td>${pct(c.repetition.within1m)}</td><td>${pct(c.hitRatio)}</td><td>${c.savedMsPerSecond.toFixed(1)}</td>
<td>${esc(c.suggestion)}</td><td title="${esc(c.ttlBasis)}">${c.ttlMs === undefined ? '–' : formatTtl(c.ttlMs)}</td>
</tr>`
}

/** @internal The Analyzer page. */
export function renderAnalyzerPage(
  source: AnalyzerSource,
  opts: { path: string; title: string; nonce: string },
): string {
  const recording = source.snapshot()
  const candidates = rankCandidates(recording)
  const seconds = Math.max(0, (recording.endedAt - recording.startedAt) / 1000)
  const calls = recording.targets.reduce((s, t) => s + t.calls, 0)
  let curve = '<p>No key recorded yet.</p>'
  const { ids, distinct } = traceIds(recording.trace)
  if (ids.length > 0) {
    const recent = ids.length > CURVE_REQUESTS ? ids.subarray(ids.length - CURVE_REQUESTS) : ids
    const result = simulate(recent, distinct, { sampleRate: recording.sampleRate })
    curve = `${hitRatioChart(result, 'Hit ratio by L1 size (recorded keys)')}<p>${esc(summarize(result))}</p>`
  }
  const table =
    candidates.length === 0
      ? '<p>Nothing recorded yet: send some traffic through the analyze() middleware or the wrappers.</p>'
      : `<table><thead><tr><th>#</th><th>target</th><th>calls/s</th><th>mean</th><th>p99</th><th>time</th><th>repeat 1m</th><th>hit est.</th><th>saves ms/s</th><th>suggest</th><th>ttl</th></tr></thead><tbody>${candidates.map(row).join('')}</tbody></table>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10">
<link rel="icon" href="data:,">
<title>${esc(opts.title)} · analyzer</title>
<style nonce="${opts.nonce}">${STYLE}</style>
</head>
<body>
<header><h1>${esc(opts.title)} · what to cache</h1><a href="${esc(opts.path)}/">← dashboard</a>
<span>${calls.toLocaleString('en-US')} calls over ${seconds.toFixed(1)} s${recording.sampleRate < 1 ? `, keys sampled at ${recording.sampleRate}` : ''}</span>
<a href="${esc(opts.path)}/api/analyze">JSON</a></header>
<main>
<section class="wide"><h2>Candidates, by time saved per second</h2>${table}</section>
<section><h2>Latency vs repetition</h2>${latencyRepetitionChart(candidates)}</section>
<section><h2>L1 size</h2>${curve}</section>
</main>
</body>
</html>
`
}

const STYLE = `
:root { --bg:#0f1419; --panel:#182029; --fg:#e6edf3; --dim:#8b98a5; --line:#2d3843; }
body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; gap:24px; align-items:baseline; padding:14px 20px; border-bottom:1px solid var(--line); flex-wrap:wrap; }
header a { color:#58a6ff; }
h1 { font-size:18px; margin:0; }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.05em; color:var(--dim); margin:0 0 8px; }
main { display:grid; grid-template-columns:repeat(auto-fit, minmax(740px, 1fr)); gap:14px; padding:14px 20px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; overflow-x:auto; }
section.wide { grid-column:1 / -1; }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:4px 10px 4px 0; border-bottom:1px solid var(--line); vertical-align:top; }
td:not(:nth-child(2)) { white-space:nowrap; }
th { color:var(--dim); font-weight:500; }
td ul { margin:2px 0 0; padding-left:18px; color:var(--dim); font-size:12px; }
svg { max-width:100%; height:auto; border-radius:6px; }
`
