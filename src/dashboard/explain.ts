/**
 * The dashboard's "explain this key" view: after a lookup, what the cache
 * would do with the key and why, tier by tier (found or not, fresh or stale,
 * age, TTL, grace, bytes, type) and tag by tag (the version the entry
 * recorded against the current one: a difference is an invalidation). Drawn
 * from the lookup's JSON ({@link KeyLookup}); the raw JSON stays below it.
 * @module
 */

/** @internal The view's styles, appended to the page's. */
export const EXPLAIN_STYLE = `
#explain { margin-top:12px; }
#explain h3 { font-size:14px; margin:0 0 6px; font-family:ui-monospace, monospace; }
#explain p.verdict { margin:0 0 10px; }
#explain .fresh { color:var(--ok); } #explain .stale { color:#d29922; } #explain .missing { color:var(--dim); }
#explain table { margin-bottom:10px; }
`

/** @internal The view's script: renders each lookup result the page announces. */
export const EXPLAIN_SCRIPT = `
(() => {
  'use strict'
  const box = document.getElementById('explain')
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e }
  const dur = (ms) => {
    if (ms === null || ms === undefined) return 'none'
    if (!Number.isFinite(ms)) return 'never'
    const neg = ms < 0, s = Math.round(Math.abs(ms) / 1000)
    const t = s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : s < 86400 ? Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm' : Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h'
    return neg ? '-' + t : t
  }
  const table = (head, rows) => {
    const t = el('table'), thead = el('thead'), tr = el('tr')
    for (const h of head) tr.appendChild(el('th', h))
    thead.appendChild(tr); t.appendChild(thead)
    const tb = el('tbody')
    for (const r of rows) { const row = el('tr'); for (const c of r) row.appendChild(c instanceof Node ? (() => { const td = el('td'); td.appendChild(c); return td })() : el('td', String(c))); tb.appendChild(row) }
    t.appendChild(tb)
    return t
  }
  function verdict(l) {
    const first = l.tiers.findIndex((t) => t.found && t.state === 'fresh')
    if (first === 0) return ['fresh', 'A read is a hit in ' + l.tiers[0].tier + '.']
    if (first > 0) return ['fresh', 'A read misses ' + l.tiers.slice(0, first).map((t) => t.tier).join(', ') + ' and is a hit in ' + l.tiers[first].tier + ' (copied up with its remaining time).']
    const stale = l.tiers.find((t) => t.found)
    if (stale) return ['stale', 'A read is a miss: the loader runs. The stale entry' + (stale.invalidated ? ' (invalidated: ' + stale.invalidated.join(', ') + ')' : '') + ' is served only if the loader fails, for ' + dur(stale.staleUntil - Date.now()) + ' more.']
    return ['missing', 'Not cached: a read is a miss.']
  }
  function explain(l) {
    box.replaceChildren()
    box.hidden = false
    box.appendChild(el('h3', 'Explain ' + l.key))
    const [cls, text] = verdict(l)
    box.appendChild(el('p', text, 'verdict ' + cls))
    const now = Date.now()
    box.appendChild(table(['tier', 'state', 'age', 'TTL', 'fresh for', 'grace', 'bytes', 'type'], l.tiers.map((t) => {
      if (t.error) return [t.tier, el('span', 'unreadable: ' + t.error, 'stale'), '', '', '', '', '', '']
      if (!t.found) return [t.tier, el('span', 'not found', 'missing'), '', '', '', '', '', '']
      const state = t.state + (t.invalidated ? ' (invalidated: ' + t.invalidated.join(', ') + ')' : '')
      return [t.tier, el('span', state, t.state), dur(t.ageMs), t.ttlMs === null ? 'none' : dur(t.ttlMs),
        t.state === 'fresh' ? dur(t.freshUntil === null ? Infinity : t.freshUntil - now) : '–', dur(t.graceMs), t.bytes === undefined ? '–' : String(t.bytes), t.type || '']
    })))
    const withVersions = l.tiers.find((t) => t.versions && t.versions.length > 0)
    if (withVersions) {
      box.appendChild(table(['tag', 'recorded version', 'current version', ''], withVersions.versions.map((v) => [
        v.tag, v.recorded, v.current === undefined ? '(not shared)' : v.current,
        v.current === undefined ? '' : el('span', v.current === v.recorded ? 'current' : 'moved on: invalidated', v.current === v.recorded ? 'fresh' : 'stale'),
      ])))
    }
  }
  window.addEventListener('cachestack:result', (e) => {
    if (e.detail.action === 'lookup' && e.detail.body && Array.isArray(e.detail.body.tiers)) explain(e.detail.body)
    else box.hidden = true
  })
})()
`
