/**
 * The handler Next.js uses for ISR pages, route handlers and the data cache
 * (`cacheHandler` in next.config): a class Next.js constructs, with
 * `get(key, ctx)`, `set(key, data, ctx)`, `revalidateTag(tags, durations?)`
 * and `resetRequestCache()`, on a cachestack cache.
 *
 * Tags are checked on every read, which is where custom handlers usually go
 * wrong (a `revalidateTag` that reaches the handler but not the reads is a
 * silent no-op): a fetch entry against its tags and the request's soft tags,
 * a page or route against the tags Next.js stored in its
 * `x-next-cache-tags` header. They are also the entry's cachestack tags, so
 * a tag expired at once drops the entry in every instance without any clock.
 * @module
 */
import type { Cache } from '../../core/cache.js'
import { invalidOption } from '../../core/errors.js'
import { nextKey, secondsTtl } from './keys.js'
import { type TagDurations, TagManifest } from './tag-manifest.js'

/** The value Next.js caches (its `IncrementalCacheValue`): a page, a route, a fetch, an image, or a redirect. */
export interface NextIncrementalValue {
  kind: string
  headers?: Record<string, unknown>
  tags?: string[]
  [field: string]: unknown
}

/** What `get` returns (Next.js's `CacheHandlerValue`). */
export interface NextIncrementalEntry {
  /** When it was stored [ms since the epoch]. */
  lastModified: number
  value: NextIncrementalValue | null
  /** The entry's lifetime as `set` received it, so any instance serves it with that lifetime. */
  cacheControl?: { revalidate: number | false; expire: number | undefined }
}

/** The context Next.js passes to `get` (fetch entries carry their tags and soft tags). */
export interface NextIncrementalGetContext {
  kind?: string
  tags?: string[]
  softTags?: string[]
  [field: string]: unknown
}

/** The context Next.js passes to `set`. */
export interface NextIncrementalSetContext {
  fetchCache?: boolean
  tags?: string[]
  cacheControl?: { revalidate: number | false; expire: number | undefined }
  [field: string]: unknown
}

/** An instance of the class {@link nextIncrementalCache} returns. */
export interface NextIncrementalCacheHandler {
  get(cacheKey: string, ctx?: NextIncrementalGetContext): Promise<NextIncrementalEntry | null>
  set(cacheKey: string, data: NextIncrementalValue | null, ctx?: NextIncrementalSetContext): Promise<void>
  revalidateTag(tags: string | string[], durations?: TagDurations): Promise<void>
  resetRequestCache(): void
}

/** The class Next.js constructs from the module `cacheHandler` names. */
export type NextIncrementalCacheClass = new (context?: unknown) => NextIncrementalCacheHandler

/** Options of {@link nextIncrementalCache}. */
export interface NextIncrementalCacheOptions {
  /** The namespace entries are stored under. @defaultValue `'next-incremental'` */
  namespace?: string
  /** The namespace of the shared tags manifest (the same as {@link nextCacheHandler}'s). @defaultValue `'next-tags'` */
  tagsNamespace?: string
  /**
   * How long an entry without an `expire` is kept, in ms. Next.js decides
   * itself when an entry needs revalidating (from `lastModified`); this is
   * only how long the store keeps it.
   * @defaultValue 30 days
   */
  ttl?: number
}

const TAGS_HEADER = 'x-next-cache-tags'
const ROUTE_KINDS = new Set(['APP_PAGE', 'APP_ROUTE', 'PAGES'])

/** The tags an entry is invalidated by: a fetch's own, or a page's header. */
function tagsOfValue(value: NextIncrementalValue | null, ctx: NextIncrementalSetContext | undefined): string[] {
  if (value === null) return []
  if (value.kind === 'FETCH') {
    const tags = ctx?.tags ?? value.tags ?? []
    return tags.filter((t) => typeof t === 'string' && t !== '')
  }
  const header = value.headers?.[TAGS_HEADER]
  return typeof header === 'string' && header !== '' ? header.split(',').filter((t) => t !== '') : []
}

/**
 * A Next.js `cacheHandler` class on `cache`. Export it from the module
 * `cacheHandler` names (as `module.exports` or the default export), and set
 * `cacheMaxMemorySize: 0` so Next.js keeps no copy of its own beside
 * cachestack's L1.
 *
 * @param cache - a cache whose tiers are shared by the instances, with a bus
 * @param options - see {@link NextIncrementalCacheOptions}
 * @example
 * ```js
 * // incremental-cache.mjs, named by next.config.mjs:
 * //   cacheHandler: './incremental-cache.mjs', cacheMaxMemorySize: 0
 * import { createCache, memoryStore } from 'cachestack'
 * import { redisBus, redisStore } from 'cachestack/redis'
 * import { nextIncrementalCache } from 'cachestack/next'
 *
 * const cache = createCache({
 *   tiers: [memoryStore(), redisStore({ url: process.env.REDIS_URL })],
 *   bus: redisBus({ url: process.env.REDIS_URL }),
 * })
 * export default nextIncrementalCache(cache)
 * ```
 */
export function nextIncrementalCache(
  cache: Cache,
  options: NextIncrementalCacheOptions = {},
): NextIncrementalCacheClass {
  if (cache === null || typeof cache !== 'object' || typeof cache.namespace !== 'function') {
    throw invalidOption('cache', 'a cache from createCache()', cache)
  }
  if (options.ttl !== undefined && !(typeof options.ttl === 'number' && options.ttl > 0)) {
    throw invalidOption('ttl', 'a number of milliseconds above 0', options.ttl)
  }
  const entries = cache.namespace(options.namespace ?? 'next-incremental')
  const manifest = new TagManifest(cache, options.tagsNamespace ?? 'next-tags')
  const keep = options.ttl ?? 30 * 24 * 3600 * 1000

  return class CachestackIncrementalCache implements NextIncrementalCacheHandler {
    async get(cacheKey: string, ctx?: NextIncrementalGetContext): Promise<NextIncrementalEntry | null> {
      const entry = await entries.get<NextIncrementalEntry & { tags: string[] }>(nextKey(cacheKey))
      if (entry === undefined) return null
      const value = entry.value
      let tags: readonly string[] = entry.tags
      if (value !== null && value.kind === 'FETCH') {
        // The request's view of a fetch: its tags now, and the soft (path) tags of the page asking.
        tags = [...tags, ...(ctx?.tags ?? []), ...(ctx?.softTags ?? [])]
      } else if (value === null || !ROUTE_KINDS.has(value.kind)) {
        tags = []
      }
      if (tags.length > 0 && (await manifest.expired(tags, entry.lastModified))) return null
      const out: NextIncrementalEntry = { lastModified: entry.lastModified, value }
      if (entry.cacheControl !== undefined) out.cacheControl = entry.cacheControl
      return out
    }

    async set(cacheKey: string, data: NextIncrementalValue | null, ctx?: NextIncrementalSetContext): Promise<void> {
      const tags = tagsOfValue(data, ctx)
      const stored: NextIncrementalEntry & { tags: string[] } = { lastModified: Date.now(), value: data, tags }
      if (ctx?.cacheControl !== undefined) stored.cacheControl = ctx.cacheControl
      const ttl = secondsTtl(ctx?.cacheControl?.expire, keep)
      await entries.set(nextKey(cacheKey), stored, { ttl, grace: 0, tags })
    }

    revalidateTag(tags: string | string[], durations?: TagDurations): Promise<void> {
      return manifest.update(typeof tags === 'string' ? [tags] : Array.isArray(tags) ? tags : [], durations)
    }

    resetRequestCache(): void {
      // No per-request copy: cachestack's L1 is kept current by the bus.
    }
  }
}
