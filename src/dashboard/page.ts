/**
 * The dashboard page: one HTML document with its style and script inline
 * (no build step, no external requests), allowed by a per-response CSP nonce.
 * It reads `api/events` (SSE) and draws the hit ratio on a canvas. Every
 * value from the server is put on the page with `textContent`, never as HTML.
 * @module
 */
import { EXPLAIN_SCRIPT, EXPLAIN_STYLE } from './explain.js'

/** @internal */
export interface PageOptions {
  path: string
  title: string
  nonce: string
  /** Link the Analyzer page. */
  analyzer?: boolean
}

/** @internal */
export function renderPage({ path, title, nonce, analyzer }: PageOptions): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  // The JSON is placed in a script: `<` is escaped so a path cannot close the tag.
  const config = JSON.stringify({ base: path }).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(title)} · cache dashboard</title>
<style nonce="${nonce}">${STYLE}${EXPLAIN_STYLE}</style>
</head>
<body>
<header>
  <h1>${esc(title)}</h1>
  <span id="live" class="dot" title="live updates"></span>
  <span class="big"><span id="ratio">–</span><small> hit ratio (last interval)</small></span>
  <span class="big"><span id="reads">–</span><small> reads/interval</small></span>
  <span class="big"><span id="total-ratio">–</span><small> since start</small></span>
  ${analyzer ? `<a class="nav" href="${esc(path)}/analyze">Analyzer: what to cache →</a>` : ''}
</header>
<main>
<section class="wide">
  <h2>Hit ratio over time</h2>
  <canvas id="chart" width="900" height="260" aria-label="hit ratio over time"></canvas>
  <div id="legend"></div>
</section>
<section>
  <h2>Totals</h2>
  <table id="totals"></table>
</section>
<section>
  <h2>Loads</h2>
  <table id="loads"></table>
</section>
<section class="wide">
  <h2>Tiers</h2>
  <table id="tiers"><thead><tr><th>tier</th><th>hits</th><th>entries</th><th>bytes</th><th>errors</th><th>circuit</th><th>evictions</th></tr></thead><tbody></tbody></table>
</section>
<section class="wide">
  <h2>Namespaces</h2>
  <table id="namespaces"><thead><tr><th>namespace</th><th>hits</th><th>misses</th><th>hit ratio</th><th>loads</th><th>load errors</th><th>stale served</th></tr></thead><tbody></tbody></table>
</section>
<section>
  <h2>Hottest keys <small id="sample-note"></small></h2>
  <ol id="hot"></ol>
</section>
<section>
  <h2>Most missed keys</h2>
  <ol id="missed"></ol>
</section>
<section class="wide" id="actions">
  <h2>Actions</h2>
  <p id="readonly" hidden>Read-only: start the dashboard with <code>auth: { token }</code> to look up and delete keys and invalidate tags.</p>
  <form id="action-form" autocomplete="off">
    <label>Token <input id="token" type="password" autocomplete="off" placeholder="required for actions"></label>
    <label>Key <input id="key" placeholder="users:42"></label>
    <button type="button" id="lookup">Look up</button>
    <button type="button" id="delete">Delete key</button>
    <label>Tag <input id="tag" placeholder="products"></label>
    <button type="button" id="invalidate">Invalidate tag</button>
  </form>
  <div id="explain" hidden></div>
  <pre id="result"></pre>
</section>
</main>
<script nonce="${nonce}">window.CACHESTACK = ${config};</script>
<script nonce="${nonce}">${SCRIPT}</script>
<script nonce="${nonce}">${EXPLAIN_SCRIPT}</script>
</body>
</html>
`
}

const STYLE = `
:root { --bg:#0f1419; --panel:#182029; --fg:#e6edf3; --dim:#8b98a5; --ok:#3fb950; --bad:#f85149; --line:#2d3843; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; gap:24px; align-items:baseline; padding:14px 20px; border-bottom:1px solid var(--line); flex-wrap:wrap; }
h1 { font-size:18px; margin:0; }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.05em; color:var(--dim); margin:0 0 8px; }
.big { font-size:22px; font-variant-numeric:tabular-nums; } .big small, h2 small { font-size:12px; color:var(--dim); text-transform:none; letter-spacing:0; }
.dot { width:10px; height:10px; border-radius:50%; background:var(--bad); display:inline-block; }
.dot.on { background:var(--ok); }
main { display:grid; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr)); gap:14px; padding:14px 20px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
section.wide { grid-column:1 / -1; }
canvas { width:100%; height:260px; display:block; }
#legend { display:flex; gap:14px; flex-wrap:wrap; margin-top:6px; font-size:12px; color:var(--dim); }
#legend i { display:inline-block; width:14px; height:3px; margin-right:5px; vertical-align:middle; }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:3px 8px 3px 0; border-bottom:1px solid var(--line); }
th { color:var(--dim); font-weight:500; }
ol { margin:0; padding-left:22px; font-family:ui-monospace, monospace; font-size:12px; } li span { color:var(--dim); margin-left:8px; }
form { display:flex; gap:10px; flex-wrap:wrap; align-items:end; }
label { display:flex; flex-direction:column; font-size:12px; color:var(--dim); gap:3px; }
input { background:#0b0f14; color:var(--fg); border:1px solid var(--line); border-radius:5px; padding:6px 8px; }
button { background:#238636; color:#fff; border:0; border-radius:5px; padding:7px 12px; cursor:pointer; }
button#delete, button#invalidate { background:#8e1519; }
button:disabled { background:#30363d; cursor:not-allowed; }
pre { white-space:pre-wrap; font-size:12px; color:var(--dim); margin:10px 0 0; }
pre.error { color:var(--bad); }
a.nav { color:#58a6ff; margin-left:auto; }
`

const SCRIPT = `
(() => {
  'use strict'
  const base = window.CACHESTACK.base
  const $ = (id) => document.getElementById(id)
  const state = { history: [], snapshot: null, maxPoints: 300 }
  window.cachestack = state
  const COLORS = ['#58a6ff', '#3fb950', '#d29922', '#bc8cff', '#ff7b72', '#39c5cf', '#f778ba', '#a5d6ff']
  const pct = (r) => (r === null || r === undefined ? '–' : (r * 100).toFixed(1) + '%')
  const num = (n) => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en'))
  const bytes = (n) => (n === undefined ? '–' : n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' kB' : (n / 1048576).toFixed(1) + ' MB')
  const nsName = (ns) => (ns === '' ? '(root)' : ns)
  const cell = (tr, text) => { const td = document.createElement('td'); td.textContent = text; tr.appendChild(td) }
  const rows = (table, data) => {
    const body = table.tBodies[0] || table
    body.replaceChildren()
    for (const r of data) { const tr = document.createElement('tr'); for (const c of r) cell(tr, c); body.appendChild(tr) }
  }
  const keys = (ol, list) => {
    ol.replaceChildren()
    for (const { key, count } of list) {
      const li = document.createElement('li'); li.textContent = key
      const s = document.createElement('span'); s.textContent = '×' + count; li.appendChild(s); ol.appendChild(li)
    }
  }

  function series() {
    const out = [{ id: 'all', label: 'all reads', get: (p) => p.ratio, width: 3 }]
    const last = state.history[state.history.length - 1]
    if (!last) return out
    // A namespace nobody reads (often the root, when all traffic is namespaced) gets no line.
    const nss = Object.keys(last.namespaces).filter((ns) => state.history.some((p) => p.namespaces[ns] !== null && p.namespaces[ns] !== undefined))
    if (nss.length > 1) for (const ns of nss) out.push({ id: 'ns:' + ns, label: 'namespace ' + nsName(ns), get: (p) => (p.namespaces[ns] === undefined ? null : p.namespaces[ns]), width: 1.5 })
    for (const name of Object.keys(last.external || {})) out.push({ id: 'ext:' + name, label: name, get: (p) => (p.external && p.external[name] !== undefined ? p.external[name] : null), width: 2, dash: [2, 3] })
    const tiers = Object.keys(last.tiers)
    if (tiers.length > 1) for (const t of tiers) out.push({ id: 'tier:' + t, label: 'tier ' + t, get: (p) => (p.tiers[t] === undefined ? null : p.tiers[t]), width: 1.5, dash: [5, 4] })
    return out
  }

  function drawChart() {
    const canvas = $('chart')
    const dpr = window.devicePixelRatio || 1
    const w = canvas.clientWidth || 900, h = canvas.clientHeight || 260
    if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr }
    const g = canvas.getContext('2d')
    g.setTransform(dpr, 0, 0, dpr, 0, 0)
    g.clearRect(0, 0, w, h)
    const L = 44, R = 10, T = 10, B = 22
    g.strokeStyle = '#2d3843'; g.fillStyle = '#8b98a5'; g.font = '11px system-ui'; g.lineWidth = 1
    for (let i = 0; i <= 4; i++) {
      const y = T + (h - T - B) * (1 - i / 4)
      g.beginPath(); g.moveTo(L, y); g.lineTo(w - R, y); g.stroke()
      g.fillText(i * 25 + '%', 6, y + 4)
    }
    const pts = state.history
    const n = Math.max(pts.length, 2)
    const x = (i) => L + (w - L - R) * (i / (n - 1))
    const y = (r) => T + (h - T - B) * (1 - r)
    if (pts.length > 0) {
      const secs = Math.round((pts[pts.length - 1].t - pts[0].t) / 1000)
      g.fillText(secs + 's ago', L, h - 6); g.fillText('now', w - R - 22, h - 6)
    }
    const legend = $('legend'); legend.replaceChildren()
    series().forEach((s, k) => {
      const color = COLORS[k % COLORS.length]
      g.strokeStyle = color; g.lineWidth = s.width; g.setLineDash(s.dash || [])
      g.beginPath()
      let pen = false
      let held = null
      pts.forEach((p, i) => {
        // An interval without reads changes no ratio: the line holds its last value instead of breaking.
        const r = s.get(p) === null ? held : s.get(p)
        if (r === null) return
        if (pen) g.lineTo(x(i), y(r)); else { g.moveTo(x(i), y(r)); pen = true }
        held = r
      })
      g.stroke(); g.setLineDash([])
      const item = document.createElement('span'); const sw = document.createElement('i'); sw.style.background = color
      item.appendChild(sw); item.appendChild(document.createTextNode(s.label)); item.dataset.series = s.id; legend.appendChild(item)
    })
    canvas.dataset.points = String(pts.length)
  }

  function render() {
    const snap = state.snapshot
    if (!snap) return
    const st = snap.stats
    const last = state.history[state.history.length - 1]
    $('ratio').textContent = last ? pct(last.ratio) : '–'
    $('reads').textContent = last ? num(last.reads) : '–'
    $('total-ratio').textContent = pct(st.hits + st.misses === 0 ? null : st.hitRatio)
    rows($('totals'), [
      ['hits', num(st.hits)], ['misses', num(st.misses)], ['stale served', num(st.staleHits)],
      ['sets', num(st.sets)], ['deletes', num(st.deletes)], ['evictions', num(st.evictions)],
      ['expirations', num(st.expirations)], ['loads in flight', num(st.inflight)],
    ])
    rows($('loads'), [
      ['loads (total)', num(st.loads)], ['load errors (total)', num(st.loadErrors)],
      ['loads (last interval)', last ? num(last.loads) : '–'],
      ['mean latency (last interval)', last && last.loadMeanMs !== null ? last.loadMeanMs.toFixed(1) + ' ms' : '–'],
      ['p95 latency (last interval)', last && last.loadP95Ms !== null ? last.loadP95Ms.toFixed(1) + ' ms' : '–'],
    ])
    rows($('tiers'), snap.tiers.map((t) => [
      t.name, num(t.hits), num(t.entries), (t.bytesEstimated ? '≈ ' : '') + bytes(t.bytes), num(t.errors),
      t.health ? t.health.circuit + (t.health.skipped ? ' (' + t.health.skipped + ' skipped)' : '') : 'n/a',
      Object.entries(t.evictions).map(([r, c]) => r + ' ' + c).join(', ') || '0',
    ]))
    rows($('namespaces'), Object.entries(st.namespaces).map(([ns, c]) => [
      nsName(ns), num(c.hits), num(c.misses), pct(c.hits + c.misses === 0 ? null : c.hitRatio), num(c.loads), num(c.loadErrors), num(c.staleHits),
    ]))
    keys($('hot'), snap.hotKeys); keys($('missed'), snap.missedKeys)
    $('sample-note').textContent = snap.keySampleRate < 1 ? '(sampled ' + Math.round(snap.keySampleRate * 100) + '% of the time)' : ''
    $('readonly').hidden = snap.actions
    for (const id of ['token', 'key', 'tag', 'lookup', 'delete', 'invalidate']) $(id).disabled = !snap.actions
    drawChart()
  }

  function connect() {
    const es = new EventSource(base + '/api/events')
    es.addEventListener('open', () => $('live').classList.add('on'))
    es.addEventListener('error', () => $('live').classList.remove('on'))
    es.addEventListener('snapshot', (e) => {
      const snap = JSON.parse(e.data)
      state.history = snap.history
      state.snapshot = snap
      render()
    })
    es.addEventListener('tick', (e) => {
      const { point, snapshot } = JSON.parse(e.data)
      state.history.push(point)
      if (state.history.length > state.maxPoints) state.history.shift()
      state.snapshot = snapshot
      render()
    })
  }

  async function act(action, param, value) {
    const out = $('result')
    out.className = ''
    if (!value) { out.className = 'error'; out.textContent = 'Enter a ' + param + ' first.'; return }
    const token = $('token').value
    sessionStorage.setItem('cachestack-token', token)
    const res = await fetch(base + '/api/' + action + '?' + param + '=' + encodeURIComponent(value), {
      method: 'POST', headers: { authorization: 'Bearer ' + token },
    })
    const body = await res.json().catch(() => ({ error: 'HTTP ' + res.status }))
    if (!res.ok) { out.className = 'error'; out.textContent = 'Refused (' + res.status + '): ' + (body.error || '') ; return }
    out.textContent = JSON.stringify(body, null, 2)
    window.dispatchEvent(new CustomEvent('cachestack:result', { detail: { action, body } }))
  }

  $('token').value = sessionStorage.getItem('cachestack-token') || ''
  $('lookup').addEventListener('click', () => act('lookup', 'key', $('key').value))
  $('delete').addEventListener('click', () => act('delete', 'key', $('key').value))
  $('invalidate').addEventListener('click', () => act('invalidate', 'tag', $('tag').value))
  window.addEventListener('resize', drawChart)
  connect()
})()
`
