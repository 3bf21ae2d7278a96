/**
 * cachestack/strategies: the caching patterns beyond cache-aside
 * (`cache.getOrSet`) and read/write-through (`cache.namespace(name, source)`,
 * in the core): memoize and the `@cached` decorator, write-behind with a
 * durable journal, refresh-ahead and scheduled precompute, and query caching
 * for PostgreSQL and SQLite.
 *
 * @example
 * ```ts
 * import { memoize } from 'cachestack/strategies'
 *
 * const slugify = memoize((title: string) => expensiveSlug(title))
 * slugify('Hello') // computed; the next call with 'Hello' returns the cached value synchronously
 * ```
 * @module
 */
export * from './strategies/index.js'
