/**
 * Fingerprinted static assets: each file gets a name with a hash of its
 * content (`app.css` → `app.3f2a1b9c0d.css`), so it can be cached for a year
 * and a new deploy changes its URL. The manifest maps logical names to those
 * URLs for templates, and answers requests for them.
 *
 * Only files in the manifest are served, matched by exact name: a path such
 * as `/account/x.css` is never treated as an asset because of its extension
 * (web cache deception).
 * @module
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { extname, join, relative, sep } from 'node:path'
import { invalidOption } from '../../core/errors.js'
import { lookupTable } from '../../core/own.js'
import { IMMUTABLE_ASSET, REVALIDATE } from '../headers/cache-control-header.js'
import { isNotModified } from '../semantics/conditional.js'
import type { HeadersLike } from '../semantics/headers.js'

/** Options of {@link fingerprintAssets}. */
export interface FingerprintOptions {
  /** The directory of the built assets. */
  dir: string
  /** The URL prefix they are served under. @defaultValue '/assets/' */
  prefix?: string
  /** Hex characters of the content hash in file names. @defaultValue 10 */
  hashLength?: number
  /**
   * Files served under their own name, revalidated on each use (`no-cache` +
   * ETag) instead of fingerprinted: entry points whose URL must not change.
   * @defaultValue files ending in `.html`
   */
  revalidate?: (file: string) => boolean
}

/** One asset. */
export interface Asset {
  /** Its logical name, relative to `dir`, with `/` separators (`css/app.css`). */
  readonly name: string
  /** The URL path it is served at. */
  readonly url: string
  /** The strong ETag of its content. */
  readonly etag: string
  /** Its media type. */
  readonly contentType: string
  /** Its `Cache-Control`. */
  readonly cacheControl: string
  /** Its content. */
  readonly body: Buffer
}

/** A response for an asset request. */
export interface AssetResponse {
  /** 200 or 304. */
  status: number
  /** Header fields. */
  headers: [string, string][]
  /** The body, `null` for HEAD and 304. */
  body: Buffer | null
}

const TYPES = lookupTable({
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
})

/**
 * The assets of a directory, fingerprinted. Read `url(name)` in templates;
 * hand requests to `respond` (or the framework helpers).
 */
export class AssetManifest {
  readonly #byName = new Map<string, Asset>()
  readonly #byUrl = new Map<string, Asset>()
  /** The URL prefix. */
  readonly prefix: string

  /** @internal use {@link fingerprintAssets} */
  constructor(prefix: string, assets: readonly Asset[]) {
    this.prefix = prefix
    for (const a of assets) {
      this.#byName.set(a.name, a)
      this.#byUrl.set(a.url, a)
    }
  }

  /**
   * The URL of a logical asset name, for templates.
   * @throws CacheError `ERR_CACHE_INVALID_OPTION` when there is no such asset (a typo should fail the render, not 404 in production)
   * @example
   * ```ts
   * `<link rel="stylesheet" href="${assets.url('app.css')}">` // href="/assets/app.3f2a1b9c0d.css"
   * ```
   */
  url(name: string): string {
    const a = this.#byName.get(name)
    if (a === undefined) throw invalidOption('asset name', `one of the files in the manifest`, name)
    return a.url
  }

  /** Every asset. */
  assets(): Asset[] {
    return [...this.#byName.values()]
  }

  /** `{ logical name: url }`, the JSON manifest other tools read. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const a of this.#byName.values()) out[a.name] = a.url
    return out
  }

  /** Writes {@link AssetManifest.toJSON} to a file. */
  async write(file: string): Promise<void> {
    await writeFile(file, `${JSON.stringify(this.toJSON(), null, 2)}\n`)
  }

  /**
   * The response for a request, or `undefined` when the path is not one of the
   * manifest's URLs (the caller passes the request on). Answers conditional
   * requests with 304.
   *
   * @param path - the request path (query ignored)
   */
  respond(method: string, path: string, headers: HeadersLike): AssetResponse | undefined {
    if (method !== 'GET' && method !== 'HEAD') return undefined
    const q = path.indexOf('?')
    const asset = this.#byUrl.get(q === -1 ? path : path.slice(0, q))
    if (asset === undefined) return undefined
    const base: [string, string][] = [
      ['cache-control', asset.cacheControl],
      ['etag', asset.etag],
    ]
    if (isNotModified(method, headers, { etag: asset.etag })) return { status: 304, headers: base, body: null }
    return {
      status: 200,
      headers: [...base, ['content-type', asset.contentType], ['content-length', String(asset.body.byteLength)]],
      body: method === 'HEAD' ? null : asset.body,
    }
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(full)))
    else if (entry.isFile()) out.push(full)
  }
  return out
}

/**
 * Reads every file under `dir`, hashes it, and builds the manifest. Files are
 * held in memory (assets are small and hot); run it once at startup or in the build.
 *
 * @example
 * ```ts
 * const assets = await fingerprintAssets({ dir: 'public' })
 * app.use(serveAssets(assets))
 * // in a template: <script src="${assets.url('app.js')}"></script>
 * ```
 */
export async function fingerprintAssets(options: FingerprintOptions): Promise<AssetManifest> {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string') {
    throw invalidOption('dir', 'the path of the assets directory', options?.dir)
  }
  let prefix = options.prefix ?? '/assets/'
  if (!prefix.startsWith('/')) throw invalidOption('prefix', 'a URL path starting with "/"', prefix)
  if (!prefix.endsWith('/')) prefix += '/'
  const hashLength = options.hashLength ?? 10
  if (!Number.isInteger(hashLength) || hashLength < 6 || hashLength > 64) {
    throw invalidOption('hashLength', 'an integer from 6 to 64', hashLength)
  }
  const revalidate = options.revalidate ?? ((f: string) => f.endsWith('.html'))
  if (!(await stat(options.dir)).isDirectory()) throw invalidOption('dir', 'a directory', options.dir)
  const assets: Asset[] = []
  for (const file of (await walk(options.dir)).sort()) {
    const name = relative(options.dir, file).split(sep).join('/')
    const body = await readFile(file)
    const hash = createHash('sha256').update(body).digest('hex')
    const ext = extname(name)
    const fixed = revalidate(name)
    const hashed = fixed ? name : `${name.slice(0, name.length - ext.length)}.${hash.slice(0, hashLength)}${ext}`
    assets.push({
      name,
      url: prefix + hashed.split('/').map(encodeURIComponent).join('/'),
      etag: `"${hash.slice(0, 32)}"`,
      contentType: TYPES.get(ext.toLowerCase()) ?? 'application/octet-stream',
      cacheControl: fixed ? REVALIDATE : IMMUTABLE_ASSET,
      body,
    })
  }
  return new AssetManifest(prefix, assets)
}
