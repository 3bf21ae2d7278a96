/**
 * Purging CDNs by the same tags the route cache uses: the route's tags are
 * sent as `Surrogate-Key` / `Cache-Tag` (option `surrogateKeys`), and
 * {@link invalidateHttp} bumps the tags in cachestack and calls a purge hook
 * that tells the CDN.
 * @module
 */
import type { Cache } from '../../core/cache.js'
import { pathTag } from '../route-cache/key.js'

/** Tells a CDN to drop everything tagged with any of `tags`. */
export type PurgeHook = (tags: readonly string[]) => Promise<void>

/** What to invalidate. */
export interface HttpInvalidation {
  /** Route tags (also purged at the CDN). */
  tags?: readonly string[]
  /** Paths whose every stored response (all hosts, queries and variants) is dropped. */
  paths?: readonly string[]
}

/**
 * Invalidates stored route responses by tag and by path, then calls `purge`
 * (if given) with the tags so the CDN drops its copies too.
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

type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  ok: boolean
  status: number
  text(): Promise<string>
}>

async function check(res: Awaited<ReturnType<FetchLike>>, what: string): Promise<void> {
  if (!res.ok) throw new Error(`${what} purge failed with HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`)
}

/**
 * A purge hook for Fastly (purge by surrogate key, batched).
 * @param options - the service id, an API token, and optionally `fetch` and the API base URL
 * @see https://www.fastly.com/documentation/reference/api/purging/
 */
export function fastlyPurge(options: {
  serviceId: string
  token: string
  soft?: boolean
  fetch?: FetchLike
  baseUrl?: string
}): PurgeHook {
  const f = options.fetch ?? (globalThis.fetch as unknown as FetchLike)
  const base = options.baseUrl ?? 'https://api.fastly.com'
  return async (tags) => {
    const headers: Record<string, string> = {
      'fastly-key': options.token,
      'surrogate-key': tags.join(' '),
      accept: 'application/json',
    }
    if (options.soft === true) headers['fastly-soft-purge'] = '1'
    await check(
      await f(`${base}/service/${encodeURIComponent(options.serviceId)}/purge`, { method: 'POST', headers }),
      'Fastly',
    )
  }
}

/**
 * A purge hook for Cloudflare (purge by cache tag).
 * @param options - the zone id, an API token, and optionally `fetch` and the API base URL
 * @see https://developers.cloudflare.com/cache/how-to/purge-cache/purge-by-tags/
 */
export function cloudflarePurge(options: {
  zoneId: string
  token: string
  fetch?: FetchLike
  baseUrl?: string
}): PurgeHook {
  const f = options.fetch ?? (globalThis.fetch as unknown as FetchLike)
  const base = options.baseUrl ?? 'https://api.cloudflare.com/client/v4'
  return async (tags) => {
    // Cloudflare accepts up to 100 tags per call.
    for (let i = 0; i < tags.length; i += 100) {
      await check(
        await f(`${base}/zones/${encodeURIComponent(options.zoneId)}/purge_cache`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ tags: tags.slice(i, i + 100) }),
        }),
        'Cloudflare',
      )
    }
  }
}
