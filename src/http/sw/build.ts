/**
 * Building the service worker from the fingerprinted-asset manifest: one
 * self-contained script (the configuration, then the runtime), its version
 * a hash of both, so a new deploy yields a new worker and the browser
 * installs it.
 * @module
 */
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { invalidOption } from '../../core/errors.js'
import { AssetManifest } from '../assets/fingerprint.js'
import { isNotModified } from '../semantics/conditional.js'
import type { HeadersLike } from '../semantics/headers.js'
import { checkPath, resolveRoute, type ServiceWorkerOptions, type WorkerConfig, type WorkerRoute } from './options.js'
import { RUNTIME_SOURCE } from './runtime.js'

/** A built service worker. */
export interface ServiceWorkerBuild {
  /** The script. */
  readonly source: string
  /** Its version (in its cache names). */
  readonly version: string
  /** Every URL it precaches. */
  readonly precache: readonly string[]
  /** The URL it is served at. */
  readonly url: string
  /** Writes the script to a file (to serve it from a static directory; with `Cache-Control: no-cache`). */
  write(file: string): Promise<void>
  /**
   * The response for a request of the worker's URL, or `undefined` for any
   * other request (pass it on). Sent with `Cache-Control: no-cache` and an
   * ETag, so the browser sees a new deploy on its next update check.
   */
  respond(
    method: string,
    path: string,
    headers: HeadersLike,
  ): { status: number; headers: [string, string][]; body: string | null } | undefined
}

const KNOWN = new Set([
  'manifest',
  'include',
  'precache',
  'offline',
  'routes',
  'navigations',
  'name',
  'version',
  'claim',
  'skipWaiting',
  'navigationPreload',
  'url',
])

function bool(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalidOption(option, 'true or false', value)
  return value
}

/** The manifest's entries: URL, whether fingerprinted, and what identifies the content. */
function entries(
  manifest: ServiceWorkerOptions['manifest'],
  include: (name: string) => boolean,
): { url: string; immutable: boolean; content: string }[] {
  if (manifest instanceof AssetManifest) {
    return manifest
      .assets()
      .filter((a) => include(a.name))
      .map((a) => ({ url: a.url, immutable: a.cacheControl.includes('immutable'), content: a.etag }))
  }
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw invalidOption(
      'manifest',
      'an AssetManifest or its JSON ({ "app.css": "/assets/app.3f2a1b9c0d.css" })',
      manifest,
    )
  }
  const out: { url: string; immutable: boolean; content: string }[] = []
  for (const name of Object.keys(manifest)) {
    const url = checkPath(manifest[name], `manifest["${name}"]`)
    if (!include(name)) continue
    // An entry served under its own name is not fingerprinted: its content is unknown here.
    const own = `/${name.split('/').map(encodeURIComponent).join('/')}`
    out.push({ url, immutable: !url.endsWith(own), content: url })
  }
  return out
}

/**
 * Builds the service worker for a manifest. Fingerprinted assets are
 * precached and served cache-first; pages are network-first with the offline
 * page as the last resort; routes choose their strategy; anything sent with
 * `Authorization`, any non-GET, and any `no-store` (or, unless the route says
 * `private: true`, `private`) response goes to the network and is never
 * stored. See docs/browser.md.
 *
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` naming the option to change
 * @example
 * ```ts
 * const assets = await fingerprintAssets({ dir: 'public' })
 * const sw = buildServiceWorker({
 *   manifest: assets,
 *   precache: ['/'],
 *   offline: '/offline.html',
 *   routes: [{ match: '/api/products', strategy: 'stale-while-revalidate', maxAge: '1h', maxEntries: 100 }],
 * })
 * app.get('/sw.js', (req, res) => { const r = sw.respond(req.method, req.url, req.headers); ... })
 * // in the page: <script>${registerServiceWorker()}</script>
 * ```
 */
export function buildServiceWorker(options: ServiceWorkerOptions): ServiceWorkerBuild {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw invalidOption(k, `one of ${[...KNOWN].join(', ')}`, k)
  }
  const include = options.include ?? ((name: string) => !name.endsWith('.map'))
  if (typeof include !== 'function') throw invalidOption('include', 'a function of the asset name', include)
  const assets = entries(options.manifest, include)
  const extra = (options.precache ?? []).map((u, i) => checkPath(u, `precache[${i}]`))
  const offline = options.offline === undefined ? null : checkPath(options.offline, 'offline')
  const routes = (options.routes ?? []).map((r, i) => resolveRoute(r, `routes[${i}]`) as WorkerRoute)
  const nav = options.navigations ?? {}
  const navigation = nav === false ? false : resolveRoute(nav, 'navigations', true)
  const name = options.name ?? 'cachestack'
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9_.]*$/i.test(name)) {
    throw invalidOption('name', 'letters, digits, "_" and "."', name)
  }
  const url = checkPath(options.url ?? '/sw.js', 'url')
  const precache = [...new Set([...assets.map((a) => a.url), ...extra, ...(offline === null ? [] : [offline])])]
  const config: Omit<WorkerConfig, 'version'> = {
    name,
    precache,
    immutable: assets.filter((a) => a.immutable).map((a) => a.url),
    offline,
    routes,
    navigation,
    claim: bool(options.claim, 'claim', true),
    skipWaiting: bool(options.skipWaiting, 'skipWaiting', false),
    navigationPreload: bool(options.navigationPreload, 'navigationPreload', true),
  }
  let version = options.version
  if (version === undefined) {
    const h = createHash('sha256').update(JSON.stringify(config)).update(RUNTIME_SOURCE)
    for (const a of assets) h.update(a.content)
    version = h.digest('hex').slice(0, 12)
  } else if (typeof version !== 'string' || !/^[a-z0-9][a-z0-9_.-]*$/i.test(version)) {
    throw invalidOption('version', 'letters, digits, "_", "." and "-"', version)
  }
  const full: WorkerConfig = { ...config, version }
  // JSON is a JavaScript expression; U+2028/2029 are escaped for older parsers.
  const json = JSON.stringify(full)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
  const source = `// cachestack service worker ${version} (generated; see docs/browser.md)\nconst C = ${json};\n${RUNTIME_SOURCE}`
  const etag = `"${createHash('sha256').update(source).digest('hex').slice(0, 32)}"`
  const body = Buffer.from(source)
  return {
    source,
    version,
    precache,
    url,
    write: (file) => writeFile(file, source),
    respond(method, path, headers) {
      if (method !== 'GET' && method !== 'HEAD') return undefined
      const q = path.indexOf('?')
      if ((q === -1 ? path : path.slice(0, q)) !== url) return undefined
      const base: [string, string][] = [
        ['cache-control', 'no-cache'],
        ['etag', etag],
      ]
      if (isNotModified(method, headers, { etag })) return { status: 304, headers: base, body: null }
      return {
        status: 200,
        headers: [
          ...base,
          ['content-type', 'text/javascript; charset=utf-8'],
          ['content-length', String(body.byteLength)],
        ],
        body: method === 'HEAD' ? null : source,
      }
    },
  }
}
