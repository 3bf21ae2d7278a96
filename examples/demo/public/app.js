// The demo's page script: the layer trail of this page (from its Server-Timing),
// the layers' live hit ratios, the buttons, and the footer's totals.
const $ = (id) => document.getElementById(id)
const el = (tag, text, cls) => {
  const e = document.createElement(tag)
  if (text !== undefined) e.textContent = text
  if (cls) e.className = cls
  return e
}
const resultClass = (r) =>
  r.startsWith('hit') ? 'hit' : r.startsWith('miss') ? 'miss' : r.startsWith('stale') ? 'stale' : 'load'

/** Shows a Server-Timing list as a trail: total time, then each layer and what it answered. */
export function showTrail(entries, list, total, uncachedMs) {
  list.replaceChildren()
  const t = entries.find((e) => e.name === 'total')
  if (t)
    total.textContent = `${t.duration.toFixed(1)} ms on the server${uncachedMs ? ` · uncached: ${uncachedMs.toFixed(1)} ms` : ''}`
  const steps = entries.filter((e) => /^s\d+$/.test(e.name))
  if (steps.length === 0) list.appendChild(el('li', 'no cache layer was asked', 'none'))
  // The same answer from the same layer (20 discounts of a list page) is one line with a count.
  const grouped = new Map()
  for (const s of steps) grouped.set(s.description, (grouped.get(s.description) || 0) + 1)
  for (const [description, n] of grouped) {
    const [layer, result = ''] = description.split(/: (.*)/)
    const li = el('li', undefined, resultClass(result))
    li.append(el('span', n > 1 ? `${layer} ×${n}` : layer, 'layer'), el('span', result, 'result'))
    list.appendChild(li)
  }
}

const nav = performance.getEntriesByType('navigation')[0]
if ($('trail') && nav) showTrail(nav.serverTiming || [], $('trail'), $('trail-total'))

async function refresh() {
  const s = await fetch('/_demo/stats').then((r) => r.json())
  const out = $('live-stats')
  if (out) {
    const ratio = s.caching ? `${(s.cache.hitRatio * 100).toFixed(1)} % cache hits` : 'caching off'
    out.textContent = `${ratio} · ${s.dbQueries} database queries · ${s.pricingCalls} pricing API calls since start`
  }
  const list = $('layers')
  if (list) {
    list.replaceChildren()
    for (const [name, c] of Object.entries(s.layers || {})) {
      const reads = c.hits + c.misses
      const ratio = reads === 0 ? 0 : c.hits / reads
      const li = el('li')
      li.dataset.layer = name
      const bar = el('span', undefined, 'bar')
      bar.style.setProperty('--ratio', String(ratio))
      li.append(el('span', name, 'name'), el('span', `${(ratio * 100).toFixed(0)} %`, 'ratio'), bar)
      li.title = `${c.hits} hits, ${c.misses} misses`
      list.appendChild(li)
    }
  }
  const db = $('btn-db')
  if (db) {
    db.textContent = s.databaseDown ? 'Bring the database back' : 'Take the database down'
    db.dataset.down = String(s.databaseDown)
  }
  const slow = $('btn-pricing')
  if (slow) {
    slow.textContent = s.pricingDelayMs >= 1000 ? 'Make the pricing API fast again' : 'Slow the pricing API to 2 s'
    slow.dataset.slow = String(s.pricingDelayMs >= 1000)
  }
  const banner = $('outage')
  if (banner) banner.hidden = !s.databaseDown
}
refresh().catch(() => {})
setInterval(() => refresh().catch(() => {}), 2000)

$('btn-stampede')?.addEventListener('click', async () => {
  $('demo-output').textContent = 'Sending 1,000 concurrent requests for one key…'
  const r = await fetch('/_demo/stampede', { method: 'POST' }).then((x) => x.json())
  $('demo-output').textContent =
    `${r.requests.toLocaleString('en')} concurrent requests, ${r.loads} load, ${r.answered.toLocaleString('en')} answered in ${r.ms} ms`
  refresh().catch(() => {})
})

$('btn-db')?.addEventListener('click', async () => {
  const down = $('btn-db').dataset.down !== 'true'
  await fetch('/_demo/database', { method: 'POST', body: JSON.stringify({ down }) })
  $('demo-output').textContent = down
    ? 'The database is down: reload the page, the cache still serves it.'
    : 'The database is back.'
  await refresh()
})

// On a product page: call its API twice, cached and with ?cache=off, and show what answered.
const api = document.querySelector('[data-api]')
if (api) {
  api.querySelector('button').addEventListener('click', async () => {
    const url = api.dataset.api
    const t0 = performance.now()
    const cached = await fetch(url, { cache: 'no-store' })
    const cachedMs = performance.now() - t0
    await cached.json()
    const t1 = performance.now()
    await fetch(`${url}?cache=off`, { cache: 'no-store' }).then((r) => r.json())
    const offMs = performance.now() - t1
    api.querySelector('.cache-status').textContent = cached.headers.get('cache-status') || '(no Cache-Status)'
    api.querySelector('.timing').textContent = `${cachedMs.toFixed(1)} ms · uncached path: ${offMs.toFixed(1)} ms`
    const timing = (cached.headers.get('server-timing') || '').split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((e) => {
      const [name, ...params] = e.trim().split(';')
      const get = (k) =>
        params
          .find((p) => p.trim().startsWith(`${k}=`))
          ?.split('=')
          .slice(1)
          .join('=')
          .replace(/^"|"$/g, '')
      return { name, duration: Number(get('dur') || 0), description: get('desc') || '' }
    })
    showTrail(timing, api.querySelector('ol'), api.querySelector('.total'))
  })
}

$('btn-pricing')?.addEventListener('click', async () => {
  const slow = $('btn-pricing').dataset.slow !== 'true'
  await fetch('/_demo/pricing', { method: 'POST', body: JSON.stringify({ delayMs: slow ? 2000 : 40 }) })
  $('demo-output').textContent = slow
    ? 'The pricing API now takes 2 s: discounts come from the cache, refreshed ahead in the background; a stale one is served after 500 ms (soft timeout).'
    : 'The pricing API is fast again.'
  await refresh()
})

// The service worker (cachestack/sw): fingerprinted assets from its precache, offline too.
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {})

// The load test: caching off, then on, against this process; a table and a chart of requests/s.
$('btn-load')?.addEventListener('click', async () => {
  const box = $('load-result')
  $('btn-load').disabled = true
  $('demo-output').textContent = 'Running: 3 s with caching off, then 3 s with caching on…'
  try {
    const res = await fetch('/_demo/load', { method: 'POST' })
    const run = await res.json()
    if (!res.ok) {
      $('demo-output').textContent = run.error
      return
    }
    $('demo-output').textContent = `Caching on served ${run.ratio.toFixed(1)}× the requests/s of caching off.`
    const table = el('table', undefined, 'load')
    const head = el('tr')
    for (const h of ['', 'req/s', 'p50 ms', 'p99 ms', 'DB queries/req', 'errors']) head.appendChild(el('th', h))
    table.appendChild(head)
    for (const p of run.phases) {
      const tr = el('tr')
      for (const v of [
        p.mode,
        p.requestsPerSecond.toLocaleString('en'),
        p.p50,
        p.p99,
        p.dbQueriesPerRequest.toFixed(3),
        p.errors,
      ])
        tr.appendChild(el('td', String(v)))
      table.appendChild(tr)
    }
    const ratio = el('tr')
    for (const v of ['on vs off', `${run.ratio.toFixed(1)}×`, '', '', '', '']) ratio.appendChild(el('td', v))
    table.appendChild(ratio)
    // The chart: one bar per phase, scaled to the faster.
    const max = Math.max(...run.phases.map((p) => p.requestsPerSecond), 1)
    const chart = el('div', undefined, 'load-chart')
    for (const p of run.phases) {
      const row = el('div', undefined, 'load-bar')
      const bar = el('span')
      bar.style.width = `${(p.requestsPerSecond / max) * 100}%`
      row.append(
        el('span', p.mode, 'label'),
        bar,
        el('span', `${p.requestsPerSecond.toLocaleString('en')} req/s`, 'value'),
      )
      chart.appendChild(row)
    }
    box.replaceChildren(chart, table)
  } finally {
    $('btn-load').disabled = false
  }
})
