/**
 * The handler Next.js 16 uses for `'use cache'` and `'use cache: remote'`
 * (`cacheHandlers` in next.config), on a cachestack cache: the memory tier
 * is each instance's L1, the shared tier (Redis, …) holds entries for every
 * instance, and the tags manifest is shared through the cache too.
 *
 * The contract, as Next.js defines it (`next/dist/server/lib/cache-handlers/types`):
 * `get(cacheKey, softTags)`, `set(cacheKey, pendingEntry)`, `refreshTags()`,
 * `getExpiration(tags)`, `updateTags(tags, durations?)`. Every read checks
 * the entry's tags (as cachestack tag versions and against the manifest) and
 * the request's soft tags (the implicit path tags `revalidatePath` expires).
 * @module
 */
import type { Cache } from '../../core/cache.js'
import { invalidOption } from '../../core/errors.js'
import { nextKey, secondsTtl } from './keys.js'
import { type TagDurations, TagManifest } from './tag-manifest.js'

/** A `'use cache'` entry as Next.js hands it over and takes it back (its `CacheEntry`). */
export interface NextCacheEntry {
  /** The serialized value; a new stream for every `get`. */
  value: ReadableStream<Uint8Array>
  /** The entry's own tags (soft tags excluded). */
  tags: string[]
  /** For the client [seconds]. */
  stale: number
  /** When the entry was created [ms since the epoch]. */
  timestamp: number
  /** How long the entry may be used [seconds]. */
  expire: number
  /** How long until it should be revalidated [seconds]; -1 asks Next.js to refresh it now. */
  revalidate: number
}

/** What Next.js asks of a `cacheHandlers` entry (its `CacheHandler` interface). */
export interface NextCacheHandler {
  get(cacheKey: string, softTags: string[]): Promise<NextCacheEntry | undefined>
  set(cacheKey: string, pendingEntry: Promise<NextCacheEntry>): Promise<void>
  refreshTags(): Promise<void>
  getExpiration(tags: string[]): Promise<number>
  updateTags(tags: string[], durations?: TagDurations): Promise<void>
}

/** Options of {@link nextCacheHandler}. */
export interface NextCacheHandlerOptions {
  /**
   * The namespace entries are stored under, so one cache can serve several
   * handlers (or apps) apart. The tags manifest is shared by all of them.
   * @defaultValue `'next-use-cache'`
   */
  namespace?: string
  /**
   * The namespace of the shared tags manifest; give the same one to
   * {@link nextCacheHandler} and {@link nextIncrementalCache} so a
   * `revalidateTag` reaches both.
   * @defaultValue `'next-tags'`
   */
  tagsNamespace?: string
}

/** What the cache stores for an entry: its metadata and its bytes. */
interface Stored {
  tags: string[]
  stale: number
  timestamp: number
  expire: number
  revalidate: number
  value: Uint8Array
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice())
      controller.close()
    },
  })
}

/**
 * A Next.js `'use cache'` handler on `cache`. Export it as the default of
 * the module `cacheHandlers.default` (and/or `.remote`) names.
 *
 * - `set` waits for the entry, reads its stream once and stores the bytes
 *   with the entry's tags as cachestack tags, for `expire` seconds.
 * - `get` waits for a `set` of the same key in flight (as the contract asks),
 *   and returns `undefined` when a tag of the entry or a soft tag expired
 *   after it was written; a tag marked stale (`revalidateTag(tag, 'max')`)
 *   returns the entry with `revalidate: -1`, so Next.js serves it once more
 *   and refreshes it in the background.
 * - `updateTags` records the revalidation in the shared manifest and, for
 *   tags that expire now, invalidates them as cachestack tags: every
 *   instance sees it on its next read.
 * - A tier that fails is skipped (fail-open): Next.js sees a miss and renders.
 *
 * @param cache - a cache whose tiers are shared by the instances (memory over Redis, say), with a bus
 * @param options - see {@link NextCacheHandlerOptions}
 * @example
 * ```js
 * // cache-handler.mjs, named by next.config.mjs:
 * //   cacheHandlers: { default: './cache-handler.mjs', remote: './cache-handler.mjs' }
 * import { createCache, memoryStore } from 'cachestack'
 * import { redisBus, redisStore } from 'cachestack/redis'
 * import { nextCacheHandler } from 'cachestack/next'
 *
 * const cache = createCache({
 *   tiers: [memoryStore(), redisStore({ url: process.env.REDIS_URL })],
 *   bus: redisBus({ url: process.env.REDIS_URL }),
 * })
 * export default nextCacheHandler(cache)
 * ```
 */
export function nextCacheHandler(cache: Cache, options: NextCacheHandlerOptions = {}): NextCacheHandler {
  if (cache === null || typeof cache !== 'object' || typeof cache.namespace !== 'function') {
    throw invalidOption('cache', 'a cache from createCache()', cache)
  }
  const entries = cache.namespace(options.namespace ?? 'next-use-cache')
  const manifest = new TagManifest(cache, options.tagsNamespace ?? 'next-tags')
  // Sets in flight, by key: a `get` of the same key waits for them. Removed
  // when the set ends, so no request's promise outlives it.
  const pending = new Map<string, Promise<void>>()

  return {
    async get(cacheKey, softTags) {
      const key = nextKey(cacheKey)
      const inFlight = pending.get(key)
      if (inFlight !== undefined) await inFlight
      const stored = await entries.get<Stored>(key)
      if (stored === undefined) return undefined
      const tags = stored.tags
      const soft = Array.isArray(softTags) ? softTags : []
      const all = soft.length === 0 ? tags : tags.length === 0 ? soft : [...tags, ...soft]
      if (await manifest.expired(all, stored.timestamp)) return undefined
      const revalidate = (await manifest.stale(tags, stored.timestamp)) ? -1 : stored.revalidate
      return {
        value: streamOf(stored.value),
        tags: [...tags],
        stale: stored.stale,
        timestamp: stored.timestamp,
        expire: stored.expire,
        revalidate,
      }
    },

    async set(cacheKey, pendingEntry) {
      const key = nextKey(cacheKey)
      let done = () => {}
      const flight = new Promise<void>((resolve) => {
        done = resolve
      })
      pending.set(key, flight)
      try {
        const entry = await pendingEntry
        // An `expire: 0` entry is dynamic: Next.js renders it on every read, so storing it is wasted.
        if (entry.expire === 0) return
        const value = await bytesOf(entry.value)
        const tags = Array.isArray(entry.tags) ? entry.tags.filter((t) => typeof t === 'string' && t !== '') : []
        const stored: Stored = {
          tags,
          stale: entry.stale,
          timestamp: entry.timestamp,
          expire: entry.expire,
          revalidate: entry.revalidate,
          value,
        }
        await entries.set(key, stored, { ttl: secondsTtl(entry.expire, 3600_000), grace: 0, tags })
      } catch {
        // A stream that errored leaves nothing stored: the next read renders again.
      } finally {
        if (pending.get(key) === flight) pending.delete(key)
        done()
      }
    },

    async refreshTags() {
      // The manifest lives in the cache: the bus keeps each instance's copy current.
    },

    getExpiration(tags) {
      return manifest.expiration(Array.isArray(tags) ? tags : [])
    },

    updateTags(tags, durations) {
      return manifest.update(Array.isArray(tags) ? tags : [], durations)
    },
  }
}
