/**
 * The browser tier: a service worker built from the fingerprinted-asset
 * manifest. Fingerprinted assets are precached and served cache-first,
 * pages network-first with an offline page, chosen API GETs
 * stale-while-revalidate with a max age and max entries; anything with
 * credentials or `no-store` goes to the network only. Versioned caches, old
 * versions deleted on activate, navigation preload, a message when a new
 * version waits, and `Clear-Site-Data: "cache"` clears the worker's caches.
 * The runtime is a small self-contained script, with no library.
 *
 * Also `cachestack sw build` (see `cachestack sw --help`) and docs/browser.md.
 *
 * @example
 * ```ts
 * import { fingerprintAssets } from 'cachestack/http'
 * import { buildServiceWorker, registerServiceWorker } from 'cachestack/sw'
 *
 * const assets = await fingerprintAssets({ dir: 'public' })
 * const sw = buildServiceWorker({
 *   manifest: assets,
 *   precache: ['/'],
 *   offline: '/offline.html',
 *   routes: [{ match: '/api/products', strategy: 'stale-while-revalidate', maxAge: '1h', maxEntries: 100 }],
 * })
 * // serve sw.respond(...) at /sw.js; put registerServiceWorker() in a <script> of each page
 * ```
 * @module
 */
export * from './http/sw/index.js'
