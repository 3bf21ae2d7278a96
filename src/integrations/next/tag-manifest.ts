/**
 * The tags manifest Next.js keeps per process (`tagsManifest` in its default
 * handlers), held in a cachestack cache instead, so every instance shares it:
 * for each tag, when it went stale and when it expired (ms since the epoch),
 * as Next.js's own `updateTags` / `revalidateTag` record them.
 *
 * Entries live under their own namespace of the cache, so the shared tier
 * holds them and the bus drops every other instance's L1 copy when one
 * instance writes them. Next.js compares these times with an entry's
 * creation time; that is its contract (entries and tags carry timestamps).
 * Tags expired at once are also invalidated as cachestack tags
 * (`cache.invalidateTags`), whose versions need no clock, so an entry written
 * with those tags is never served again whatever the clocks say.
 * @module
 */
import type { Cache } from '../../core/cache.js'

/** What the manifest holds for one tag (times in ms since the epoch). */
export interface TagState {
  /** When the tag was marked stale (entries older than this are served once more, then refreshed). */
  stale?: number
  /** When the tag expires (entries older than this are never served once this time has passed). */
  expired?: number
}

/** The durations Next.js passes with a revalidation (`revalidateTag(tag, profile)`), in seconds. */
export interface TagDurations {
  expire?: number
}

/** How long a tag's state is kept: longer than any entry it can concern. */
const KEEP = 366 * 24 * 3600 * 1000

/** @internal The shared tags manifest. */
export class TagManifest {
  readonly #cache: Cache
  readonly #states: Cache

  constructor(cache: Cache, namespace: string) {
    this.#cache = cache
    this.#states = cache.namespace(namespace)
  }

  /** The state of each tag, in order (`undefined` when never revalidated). */
  async states(tags: readonly string[]): Promise<(TagState | undefined)[]> {
    if (tags.length === 0) return []
    return this.#states.getMany<TagState>(tags)
  }

  /** Whether any tag expired after `timestamp` (and its expiry has come). */
  async expired(tags: readonly string[], timestamp: number, now = Date.now()): Promise<boolean> {
    for (const state of await this.states(tags)) {
      const at = state?.expired
      if (at !== undefined && at <= now && at > timestamp) return true
    }
    return false
  }

  /** Whether any tag went stale after `timestamp`. */
  async stale(tags: readonly string[], timestamp: number): Promise<boolean> {
    for (const state of await this.states(tags)) {
      if (state?.stale !== undefined && state.stale > timestamp) return true
    }
    return false
  }

  /** The latest expiry of the tags (0 when none was revalidated), as Next.js's `getExpiration` returns it. */
  async expiration(tags: readonly string[]): Promise<number> {
    let max = 0
    for (const state of await this.states(tags))
      if (state?.expired !== undefined && state.expired > max) max = state.expired
    return max
  }

  /**
   * Records a revalidation, as Next.js's default handlers do: without
   * durations the tags expire now; with them they are stale now and expire
   * after `expire` seconds. Tags that expire now are also invalidated as
   * cachestack tags, in every tier and every process.
   */
  async update(tags: readonly string[], durations?: TagDurations): Promise<void> {
    if (tags.length === 0) return
    const now = Date.now()
    const previous = await this.states(tags)
    const entries: [string, TagState][] = []
    const expireNow: string[] = []
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as string
      const state: TagState = { ...previous[i] }
      if (durations === undefined) {
        state.expired = now
      } else {
        state.stale = now
        if (durations.expire !== undefined) state.expired = now + durations.expire * 1000
      }
      if (state.expired !== undefined && state.expired <= now) expireNow.push(tag)
      entries.push([tag, state])
    }
    await this.#states.setMany(entries, { ttl: KEEP, grace: 0 })
    if (expireNow.length > 0) await this.#cache.invalidateTags(expireNow)
  }
}
