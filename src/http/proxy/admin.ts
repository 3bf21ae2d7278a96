/**
 * The purge endpoint: `POST <adminPath>` with `Authorization: Bearer <token>`
 * and a JSON body naming what to drop. Purges are tag invalidations, so they
 * are O(1) per URL, prefix or key, and reach every process sharing the
 * cache's shared tier and bus.
 * @module
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Cache } from '../../core/cache.js'
import { CacheError } from '../../core/errors.js'
import { prefixTag, surrogateTag, urlTag } from './stored.js'

/** What a purge request's JSON body may hold; each field a string or an array of strings. */
export interface PurgeRequest {
  /** URLs to purge: absolute (`http://host/path?q`) or a path on the admin request's `Host`. */
  urls?: string | string[]
  /** Path prefixes to purge, ending at a segment (`/docs/`; `/docs` means `/docs` and `/docs/…`). */
  prefixes?: string | string[]
  /** Surrogate keys (`Surrogate-Key` / `Cache-Tag` values) to purge. */
  keys?: string | string[]
}

/** A request listener for the purge endpoint. */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => void

const MAX_BODY = 64 * 1024

function list(v: unknown): string[] {
  if (v === undefined) return []
  if (typeof v === 'string') return [v]
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v
  throw new CacheError('ERR_CACHE_PURGE_REQUEST', 'each field must be a string or an array of strings')
}

/**
 * The tags a purge request names.
 * @throws CacheError `ERR_CACHE_PURGE_REQUEST` when a field is not a string or an array of strings, or a URL does not parse
 */
export function purgeTags(body: PurgeRequest, requestHost: string): string[] {
  const tags: string[] = []
  const split = (u: string): [string, string] => {
    if (u.startsWith('/')) return [requestHost, u]
    if (!URL.canParse(u)) {
      throw new CacheError('ERR_CACHE_PURGE_REQUEST', `${JSON.stringify(u)} is neither a path nor an absolute URL`)
    }
    const url = new URL(u)
    return [url.host.toLowerCase(), url.pathname + url.search]
  }
  for (const u of list(body.urls)) {
    const [host, path] = split(u)
    tags.push(urlTag(host, path))
  }
  for (const p of list(body.prefixes)) {
    const [host, path] = split(p)
    const q = path.indexOf('?')
    const bare = q === -1 ? path : path.slice(0, q)
    if (bare.endsWith('/')) tags.push(prefixTag(host, bare))
    else tags.push(urlTag(host, bare), prefixTag(host, `${bare}/`))
  }
  for (const k of list(body.keys)) tags.push(surrogateTag(k))
  return tags
}

/**
 * Builds the purge endpoint for `token` over `cache`.
 * @param cacheStatus - the `Cache-Status` value its answers carry
 */
export function adminHandler(token: string, cache: Cache, cacheStatus = 'cachestack; detail=admin'): AdminHandler {
  const expected = Buffer.from(`Bearer ${token}`)
  const reply = (res: ServerResponse, status: number, body: object, extra: Record<string, string> = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'cache-status': cacheStatus,
      ...extra,
    })
    res.end(text)
  }
  return function purge(req, res) {
    const auth = Buffer.from(req.headers.authorization ?? '')
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      req.resume()
      reply(res, 401, { error: 'a valid Authorization: Bearer <token> is required' }, { 'www-authenticate': 'Bearer' })
      return
    }
    if (req.method !== 'POST') {
      req.resume()
      reply(res, 405, { error: 'use POST with a JSON body { urls, prefixes, keys }' }, { allow: 'POST' })
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= MAX_BODY) chunks.push(c)
    })
    req.on('end', () => {
      if (size > MAX_BODY) {
        reply(res, 413, { error: `the body is limited to ${MAX_BODY} bytes` })
        return
      }
      let tags: string[]
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as PurgeRequest
        tags = purgeTags(body, (req.headers.host ?? '').toLowerCase())
      } catch (err) {
        const code = err instanceof CacheError ? err.code : 'ERR_CACHE_PURGE_REQUEST'
        reply(res, 400, { error: `bad purge request: ${(err as Error).message}`, code })
        return
      }
      cache.invalidateTags(tags).then(
        () => reply(res, 200, { purged: tags.length }),
        (err: unknown) => reply(res, 500, { error: String(err) }),
      )
    })
  }
}
