/**
 * Question: how many bytes does the browser download for cachestack's
 * service-worker runtime, next to Workbox doing the same job? Target: smaller.
 *
 * The same worker three ways, minified (esbuild) and gzipped (level 9):
 * - cachestack: `buildServiceWorker` output for a small manifest (the
 *   configuration is a few hundred bytes of it);
 * - Workbox bundled: one file that imports the modules giving the same
 *   features (workbox-precaching with cleanup of outdated caches, routing,
 *   strategies CacheFirst / NetworkFirst / StaleWhileRevalidate / NetworkOnly,
 *   expiration, navigation preload, broadcast update, the offline fallback
 *   and the skip-waiting message), bundled by esbuild in production mode;
 * - Workbox via workbox-sw: the loader plus each module's production build
 *   from npm, as workbox-sw fetches them (one file each, each gzipped).
 * Sizes do not vary: one run is the answer.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, transform } from 'esbuild'
import { buildServiceWorker } from '../src/sw.js'
import { machineLine, printTarget } from './lib/harness.js'

const require = createRequire(import.meta.url)
const gz = (s: string | Uint8Array) => gzipSync(s, { level: 9 }).byteLength
const minify = async (s: string) => (await transform(s, { minify: true, target: 'es2020' })).code

const manifest = {
  'app.css': '/assets/app.3f2a1b9c0d.css',
  'app.js': '/assets/app.9a8b7c6d5e.js',
  'logo.svg': '/assets/logo.1a2b3c4d5e.svg',
}
const ours = buildServiceWorker({
  manifest,
  precache: ['/'],
  offline: '/offline.html',
  routes: [
    { match: '/api/products', strategy: 'stale-while-revalidate', cache: 'api', maxAge: '1h', maxEntries: 100 },
    { match: /^\/api\/live/, strategy: 'network-only' },
  ],
}).source

const WORKBOX_WORKER = `
import { precacheAndRoute, cleanupOutdatedCaches, matchPrecache } from 'workbox-precaching'
import { registerRoute, NavigationRoute, setCatchHandler } from 'workbox-routing'
import { NetworkFirst, StaleWhileRevalidate, NetworkOnly } from 'workbox-strategies'
import { ExpirationPlugin } from 'workbox-expiration'
import { BroadcastUpdatePlugin } from 'workbox-broadcast-update'
import * as navigationPreload from 'workbox-navigation-preload'
import { clientsClaim } from 'workbox-core'
precacheAndRoute(${JSON.stringify([...Object.values(manifest).map((url) => ({ url, revision: null })), { url: '/', revision: '1' }, { url: '/offline.html', revision: '1' }])})
cleanupOutdatedCaches()
navigationPreload.enable()
clientsClaim()
registerRoute(({ url }) => url.pathname.startsWith('/api/products'), new StaleWhileRevalidate({ cacheName: 'api', plugins: [new ExpirationPlugin({ maxEntries: 100, maxAgeSeconds: 3600 }), new BroadcastUpdatePlugin()] }))
registerRoute(({ url }) => /^\\/api\\/live/.test(url.pathname), new NetworkOnly())
registerRoute(new NavigationRoute(new NetworkFirst({ cacheName: 'pages' })))
setCatchHandler(async ({ request }) => (request.mode === 'navigate' && (await matchPrecache('/offline.html'))) || Response.error())
self.addEventListener('message', (e) => { if (e.data && e.data.type === 'SKIP_WAITING') self.skipWaiting() })
`

const bundled = await build({
  stdin: { contents: WORKBOX_WORKER, resolveDir: process.cwd(), loader: 'js' },
  bundle: true,
  minify: true,
  write: false,
  format: 'iife',
  target: 'es2020',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'silent',
})
const workboxBundle = bundled.outputFiles[0]!.text

const MODULES = ['core', 'precaching', 'routing', 'strategies', 'expiration', 'navigation-preload', 'broadcast-update']
const files = [
  readFileSync(require.resolve('workbox-sw/build/workbox-sw.js'), 'utf8'),
  ...MODULES.map((m) =>
    readFileSync(join(require.resolve(`workbox-${m}/package.json`), '..', 'build', `workbox-${m}.prod.js`), 'utf8'),
  ),
]

const oursMin = await minify(ours)
const rows: [string, number, number][] = [
  ['cachestack/sw (whole worker)', Buffer.byteLength(oursMin), gz(oursMin)],
  ['Workbox modules, bundled', Buffer.byteLength(workboxBundle), gz(workboxBundle)],
  [
    `workbox-sw + ${MODULES.length} modules (prod builds)`,
    files.reduce((n, f) => n + Buffer.byteLength(f), 0),
    files.reduce((n, f) => n + gz(f), 0),
  ],
]
const base = rows[0]![2]
console.log(`${machineLine()}\n\n### service-worker runtime size (minified, gzip -9)\n`)
console.log('| worker | minified | gzipped | gzipped vs cachestack |')
console.log('|---|---|---|---|')
for (const [name, min, zipped] of rows)
  console.log(`| ${name} | ${min} B | ${zipped} B | ${(zipped / base).toFixed(2)}× |`)
console.log('')
printTarget('Workbox bundled / cachestack/sw, gzipped', rows[1]![2] / base, 1)
printTarget('workbox-sw + modules / cachestack/sw, gzipped', rows[2]![2] / base, 1)
