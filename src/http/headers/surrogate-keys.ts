/**
 * Purging CDNs by the same tags the route cache uses: the route's tags are
 * sent as `Surrogate-Key` / `Cache-Tag` (option `surrogateKeys`), and
 * {@link invalidateHttp} bumps the tags in cachestack and calls a purge hook
 * that tells the CDN.
 * @module
 */
import type { Cache } from '../../core/cache.js'
import type { PurgeHook } from '../../core/options.js'
import { pathTag } from '../route-cache/key.js'
import { surrogateKeyList } from './surrogate-key.js'

/**
 * Fastly purges at most 256 surrogate keys per batch request.
 * @see https://www.fastly.com/documentation/reference/api/purging/#bulk-purge-tag
 */
export const FASTLY_KEYS_PER_PURGE = 256
/**
 * Cloudflare purges at most 100 cache tags per request, on every plan (its
 * "max operations per request"; it was 30 before 2025).
 * @see https://developers.cloudflare.com/cache/how-to/purge-cache/
 */
export const CLOUDFLARE_TAGS_PER_PURGE = 100

/**
 * Tells a CDN (or a proxy) to drop everything tagged with any of `tags`. The
 * tags are cachestack's, unencoded: a hook of your own should encode each
 * with {@link surrogateKey}, as the `Surrogate-Key` / `Cache-Tag` headers
 * do. Pass hooks to `createCache({ purge })` so `invalidateTags` calls them.
 */
export type { PurgeHook } from '../../core/options.js'

/** What to invalidate. */
export interface HttpInvalidation {
  /** Route tags (also purged at the CDN). */
  tags?: readonly string[]
  /** Paths whose every stored response (all hosts, queries and variants) is dropped. */
  paths?: readonly string[]
}

/**
 * Invalidates stored route responses by tag and by path, then calls `purge`
 * (if given) with the tags so the CDN drops its copies too. The tags are
 * invalidated in cachestack as given, whatever characters they hold; the
 * purge hook encodes them as the response headers did.
 *
 * @example
 * ```ts
 * const purge = fastlyPurge({ serviceId, token: process.env.FASTLY_TOKEN! })
 * await invalidateHttp(cache, { tags: ['products'], paths: ['/products'] }, purge)
 * ```
 */
export async function invalidateHttp(cache: Cache, what: HttpInvalidation, purge?: PurgeHook): Promise<void> {
  const tags = [...(what.tags ?? []), ...(what.paths ?? []).map(pathTag)]
  if (tags.length > 0) await cache.invalidateTags(tags)
  if (purge !== undefined && what.tags !== undefined && what.tags.length > 0) await purge(what.tags)
}

/** @internal The part of `fetch` the purge hooks use (pass your own to add retries or a proxy). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  ok: boolean
  status: number
  text(): Promise<string>
}>

/** @internal Throws for a failed response, naming which request of a batch failed. */
export async function check(
  res: Awaited<ReturnType<FetchLike>>,
  what: string,
  batch: number,
  batches: number,
): Promise<void> {
  if (res.ok) return
  const which = batches === 1 ? '' : ` (request ${batch + 1} of ${batches}; the earlier ones succeeded)`
  throw new Error(`${what} purge failed with HTTP ${res.status}${which}: ${(await res.text()).slice(0, 200)}`)
}

/** @internal `keys` in consecutive slices of at most `size`. */
export function batchesOf(keys: readonly string[], size: number): string[][] {
  const out: string[][] = []
  for (let i = 0; i < keys.length; i += size) out.push(keys.slice(i, i + size))
  return out
}

/**
 * A purge hook for Fastly: purge by surrogate key (and, with its `urls`
 * method, by URL); `soft: true` marks the objects stale instead of removing
 * them (`Fastly-Soft-Purge: 1`), so the edge serves them stale while it
 * refetches. The tags are encoded as the
 * `Surrogate-Key` header encodes them (see {@link surrogateKey}), deduplicated,
 * and sent {@link FASTLY_KEYS_PER_PURGE} (256) per request, Fastly's limit, one
 * request after another; the first failed request throws (purges are
 * idempotent: retry the whole call).
 * @param options - the service id, an API token, `soft` for a soft purge, and optionally `fetch` and the API base URL
 * @see https://www.fastly.com/documentation/reference/api/purging/
 */
export function fastlyPurge(options: {
  serviceId: string
  token: string
  soft?: boolean
  fetch?: FetchLike
  baseUrl?: string
}): PurgeHook & { urls(urls: readonly string[]): Promise<void> } {
  const f = options.fetch ?? (globalThis.fetch as unknown as FetchLike)
  const base = options.baseUrl ?? 'https://api.fastly.com'
  const url = `${base}/service/${encodeURIComponent(options.serviceId)}/purge`
  const headers = (): Record<string, string> => {
    const h: Record<string, string> = { 'fastly-key': options.token, accept: 'application/json' }
    if (options.soft === true) h['fastly-soft-purge'] = '1'
    return h
  }
  const hook = async function fastlyPurgeHook(tags: readonly string[]) {
    const batches = batchesOf(surrogateKeyList(tags), FASTLY_KEYS_PER_PURGE)
    for (let i = 0; i < batches.length; i++) {
      const h = { ...headers(), 'surrogate-key': batches[i]!.join(' ') }
      await check(await f(url, { method: 'POST', headers: h }), 'Fastly', i, batches.length)
    }
  }
  return Object.assign(hook, {
    /** Purges single URLs (`https://www.example.com/path`), one request each, soft when `soft` is set. */
    async urls(urls: readonly string[]) {
      for (let i = 0; i < urls.length; i++) {
        const u = new URL(urls[i]!)
        const target = `${base}/purge/${u.host}${u.pathname}${u.search}`
        await check(await f(target, { method: 'POST', headers: headers() }), 'Fastly', i, urls.length)
      }
    },
  })
}

/**
 * A purge hook for Cloudflare: purge by cache tag (and, with its `urls` and
 * `prefixes` methods, by URL and by prefix). Cloudflare has no soft purge. The tags are encoded as the
 * `Cache-Tag` header encodes them (see {@link surrogateKey}), deduplicated, and
 * sent {@link CLOUDFLARE_TAGS_PER_PURGE} (100) per request, Cloudflare's limit,
 * one request after another; the first failed request throws.
 * @param options - the zone id, an API token, and optionally `fetch` and the API base URL
 * @see https://developers.cloudflare.com/cache/how-to/purge-cache/purge-by-tags/
 */
export function cloudflarePurge(options: {
  zoneId: string
  token: string
  fetch?: FetchLike
  baseUrl?: string
}): PurgeHook & {
  urls(urls: readonly string[]): Promise<void>
  prefixes(prefixes: readonly string[]): Promise<void>
} {
  const f = options.fetch ?? (globalThis.fetch as unknown as FetchLike)
  const base = options.baseUrl ?? 'https://api.cloudflare.com/client/v4'
  const url = `${base}/zones/${encodeURIComponent(options.zoneId)}/purge_cache`
  const send = async (field: 'tags' | 'files' | 'prefixes', items: readonly string[]) => {
    const batches = batchesOf(items, CLOUDFLARE_TAGS_PER_PURGE)
    for (let i = 0; i < batches.length; i++) {
      await check(
        await f(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ [field]: batches[i] }),
        }),
        'Cloudflare',
        i,
        batches.length,
      )
    }
  }
  const hook = async function cloudflarePurgeHook(tags: readonly string[]) {
    await send('tags', surrogateKeyList(tags))
  }
  return Object.assign(hook, {
    /** Purges URLs (`https://www.example.com/path`), 100 per request. */
    urls: (urls: readonly string[]) => send('files', [...urls]),
    /** Purges everything under URL prefixes (`www.example.com/docs/`, no scheme), 100 per request. */
    prefixes: (prefixes: readonly string[]) => send('prefixes', [...prefixes]),
  })
}
