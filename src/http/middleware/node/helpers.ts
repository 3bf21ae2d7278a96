/**
 * Header and static-asset helpers for node:http and Connect-style stacks (Express).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AssetManifest } from '../../assets/fingerprint.js'
import { type CacheControlOptions, cacheControlValue } from '../../headers/cache-control-header.js'

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void

/**
 * Sets `Cache-Control` for browsers and CDNs on the responses that pass
 * (the handler may still override it). The value is computed once. An error
 * response (status 400 or more) does not get it: `public, s-maxage=3600` on a
 * 500 would have a CDN serve that error for an hour (RFC 9111 §3 lets a cache
 * store any status with explicit freshness); it keeps whatever it had before.
 *
 * @example
 * ```ts
 * app.get('/products', cacheControl({ public: true, maxAge: '1m', sMaxAge: '1h', staleWhileRevalidate: '1d' }), list)
 * ```
 */
export function cacheControl(options: CacheControlOptions): Middleware {
  const value = cacheControlValue(options)
  return function cacheControlHeader(_req, res, next) {
    const before = res.getHeader('cache-control')
    res.setHeader('cache-control', value)
    const writeHead = res.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse
    res.writeHead = function writeHeadCacheControl(this: ServerResponse, status: number, ...rest: unknown[]) {
      if (status >= 400 && this.getHeader('cache-control') === value) {
        if (before === undefined) this.removeHeader('cache-control')
        else this.setHeader('cache-control', before)
      }
      return writeHead.call(this, status, ...rest)
    } as ServerResponse['writeHead']
    next()
  }
}

/**
 * Serves the manifest's assets: fingerprinted files with
 * `Cache-Control: public, max-age=31536000, immutable`, HTML with `no-cache`
 * and an ETag, 304 for matching conditional requests. Any other path is passed on.
 *
 * @example
 * ```ts
 * const assets = await fingerprintAssets({ dir: 'public' })
 * app.use(serveAssets(assets))
 * ```
 */
export function serveAssets(manifest: AssetManifest): Middleware {
  return function assets(req, res, next) {
    const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/'
    if (!path.startsWith(manifest.prefix)) {
      next()
      return
    }
    const out = manifest.respond(req.method ?? 'GET', path, req.headers)
    if (out === undefined) {
      next()
      return
    }
    res.writeHead(out.status, out.headers.flat())
    if (out.body === null) res.end()
    else res.end(out.body)
  }
}
