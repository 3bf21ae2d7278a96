/**
 * `cachestack/next`: Next.js cache handlers on cachestack's tiers. A memory
 * L1 per instance over a shared tier (Redis, or any other), tags checked on
 * every read, and `revalidateTag` / `revalidatePath` reaching every instance
 * through the shared tier and the bus.
 *
 * - {@link nextCacheHandler}: `cacheHandlers` (`'use cache'`, `'use cache: remote'`).
 * - {@link nextIncrementalCache}: `cacheHandler` (ISR pages, route handlers, the data cache).
 *
 * @example
 * ```js
 * // next.config.mjs
 * export default {
 *   cacheComponents: true,
 *   cacheHandlers: { default: './cache-handler.mjs', remote: './cache-handler.mjs' },
 *   cacheHandler: './incremental-cache.mjs',
 *   cacheMaxMemorySize: 0,
 * }
 * ```
 * @module
 */
export {
  type NextIncrementalCacheClass,
  type NextIncrementalCacheHandler,
  type NextIncrementalCacheOptions,
  type NextIncrementalEntry,
  type NextIncrementalGetContext,
  type NextIncrementalSetContext,
  type NextIncrementalValue,
  nextIncrementalCache,
} from './integrations/next/incremental-cache.js'
export type { TagDurations, TagState } from './integrations/next/tag-manifest.js'
export {
  type NextCacheEntry,
  type NextCacheHandler,
  type NextCacheHandlerOptions,
  nextCacheHandler,
} from './integrations/next/use-cache-handler.js'
