// Shows the live hit ratio in the footer: the same number the dashboard plots.
const out = document.getElementById('live-stats')
if (out) {
  fetch('/_demo/stats')
    .then((r) => r.json())
    .then((s) => {
      const ratio = s.caching ? `${(s.cache.hitRatio * 100).toFixed(1)} % cache hits` : 'caching off'
      out.textContent = `${ratio} · ${s.dbQueries} database queries · ${s.pricingCalls} pricing API calls since start`
    })
    .catch(() => {})
}

// The service worker (cachestack/sw): fingerprinted assets from its precache, offline too.
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {})
