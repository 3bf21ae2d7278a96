/**
 * Small SVG charts with no dependency: the simulator's hit-ratio curve (log
 * scale of sizes) and the analyzer's latency-vs-repetition scatter. Every
 * label is escaped; the output is a standalone SVG document.
 * @module
 */
import type { Candidate } from './ranking.js'
import type { SimulationResult } from './simulator.js'

const W = 720
const H = 400
const M = { left: 60, right: 150, top: 30, bottom: 50 }
const COLORS: Record<string, string> = { lru: '#d9534f', tinylfu: '#2a7ae2', opt: '#555' }

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const fmt = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n))

function frame(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${M.left}" y="18" font-size="14" font-weight="600">${esc(title)}</text>
${body}
</svg>
`
}

/** Log-scale x positions for values from lo to hi. */
function logScale(lo: number, hi: number): (v: number) => number {
  const a = Math.log10(Math.max(lo, 1e-9))
  const b = Math.log10(Math.max(hi, lo * 1.0001))
  return (v) => M.left + ((Math.log10(Math.max(v, 1e-9)) - a) / (b - a || 1)) * (W - M.left - M.right)
}

function yAxis(y: (v: number) => number, label: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${t * 100} %</text>`,
    )
    .join('\n')
  return `${ticks}\n<text x="14" y="${(M.top + H - M.bottom) / 2}" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})" text-anchor="middle">${esc(label)}</text>`
}

/** The hit-ratio curve of a simulation as an SVG document. */
export function hitRatioChart(result: SimulationResult, title = 'Hit ratio by L1 size'): string {
  const x = logScale(result.sizes[0] ?? 1, result.sizes[result.sizes.length - 1] ?? 1)
  const y = (v: number) => H - M.bottom - v * (H - M.top - M.bottom)
  const xTicks = result.sizes
    .map((s) => `<text x="${x(s)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(s)}</text>`)
    .join('\n')
  const lines = result.curves
    .map((c, i) => {
      const color = COLORS[c.policy] ?? '#888'
      const pts = c.ratios.map((r, j) => `${x(result.sizes[j]!).toFixed(1)},${y(r).toFixed(1)}`).join(' ')
      const dots = c.ratios
        .map((r, j) => `<circle cx="${x(result.sizes[j]!).toFixed(1)}" cy="${y(r).toFixed(1)}" r="3" fill="${color}"/>`)
        .join('')
      const ly = M.top + 20 + i * 20
      return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>${dots}
<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/><text x="${W - M.right + 38}" y="${ly + 4}">${esc(c.policy)}</text>`
    })
    .join('\n')
  const ceiling = `<line x1="${M.left}" x2="${W - M.right}" y1="${y(result.ceiling)}" y2="${y(result.ceiling)}" stroke="#999" stroke-dasharray="4 4"/><text x="${M.left + 6}" y="${y(result.ceiling) - 6}" fill="#777">every key held: ${(100 * result.ceiling).toFixed(1)} %</text>`
  const axis = `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">L1 size (entries, log scale); ${result.requests.toLocaleString('en-US')} requests, ${result.distinct.toLocaleString('en-US')} keys</text>`
  return frame(title, `${yAxis(y, 'hit ratio')}\n${xTicks}\n${ceiling}\n${lines}\n${axis}`)
}

/** The analyzer's scatter: mean latency (log scale) against repetition within 1 min, one dot per candidate. */
export function latencyRepetitionChart(candidates: readonly Candidate[], title = 'Latency vs repetition'): string {
  const ms = candidates.map((c) => Math.max(0.01, c.meanMs))
  const x = logScale(Math.min(0.01, ...ms) || 0.01, Math.max(10, ...ms))
  const y = (v: number) => H - M.bottom - v * (H - M.top - M.bottom)
  const decades: number[] = []
  for (let d = 0.01; d <= Math.max(10, ...ms) * 1.0001; d *= 10) decades.push(d)
  const xTicks = decades
    .map((d) => `<text x="${x(d)}" y="${H - M.bottom + 16}" text-anchor="middle">${d < 1 ? d : fmt(d)} ms</text>`)
    .join('\n')
  const maxSaved = Math.max(1e-9, ...candidates.map((c) => c.savedMsPerSecond))
  const dots = candidates
    .map((c, i) => {
      const r = 4 + 10 * Math.sqrt(c.savedMsPerSecond / maxSaved)
      const color = c.concerns.some((k) => k.concern === 'personalised' || k.concern === 'volatile')
        ? '#d9534f'
        : '#2a7ae2'
      const cx = x(Math.max(0.01, c.meanMs)).toFixed(1)
      const cy = y(c.repetition.within1m).toFixed(1)
      return `<circle cx="${cx}" cy="${cy}" r="${r.toFixed(1)}" fill="${color}" fill-opacity="0.6"><title>${esc(`${i + 1}. ${c.kind} ${c.name}`)}</title></circle><text x="${cx}" y="${cy}" dx="${(r + 2).toFixed(0)}" dy="4">${i + 1}</text>`
    })
    .join('\n')
  const legend = `<text x="${W - M.right + 12}" y="${M.top + 20}">dot size: time saved</text><circle cx="${W - M.right + 18}" cy="${M.top + 40}" r="5" fill="#2a7ae2"/><text x="${W - M.right + 28}" y="${M.top + 44}">candidate</text><circle cx="${W - M.right + 18}" cy="${M.top + 60}" r="5" fill="#d9534f"/><text x="${W - M.right + 28}" y="${M.top + 64}">personal/volatile</text>`
  const axis = `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">mean latency (log scale); numbers are ranks</text>`
  return frame(title, `${yAxis(y, 'calls repeating a key within 1 min')}\n${xTicks}\n${dots}\n${legend}\n${axis}`)
}
