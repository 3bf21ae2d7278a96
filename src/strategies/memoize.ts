/**
 * `memoize`: caches a function's results by a stable key of its arguments, in
 * a private memory cache or in any cachestack cache (then shared by every
 * process using it, with TTL, tags and stampede protection).
 *
 * The hit path is synchronous: a sync function's cached result is returned
 * as a value, straight from the memory tier, with no promise and, for one
 * primitive argument in the private cache, no allocation.
 *
 * Keys in a given cache are hashed by default: arguments are often what must
 * not leak (a password, an e-mail, a token), and a shared tier's keys are seen
 * by anyone who can list them (`redis-cli --scan`, `cachestack keys`, the
 * dashboard's hot keys).
 * @module
 */
import { hash } from 'node:crypto'
import type { Cache } from '../core/cache.js'
import { createCacheWith } from '../core/cache.js'
import type { Duration } from '../core/duration.js'
import { invalidOption } from '../core/errors.js'
import { memoryStore } from '../stores/memory/index.js'
import { argsKey, primitiveKey } from './stable-key.js'

/** Options of {@link memoize}. */
export interface MemoizeOptions<A extends unknown[]> {
  /**
   * Where results live. Results are read synchronously from its first tier when
   * that is a memory tier; a sync function whose cache has no memory first tier
   * is recomputed on every call (its results are still written to every tier).
   * @defaultValue a private cache with one memory tier of `maxEntries` entries
   */
  cache?: Cache
  /**
   * The namespace the results are kept under in a given `cache`, so two
   * functions never share keys. Ignored for the private cache.
   * @defaultValue `memo:${fn.name}` (give one when functions share a name)
   */
  name?: string
  /**
   * Maps the arguments (and `this`) to the key. Called on every call: keep it cheap.
   * @defaultValue a stable key of every argument (object keys in any order, Dates, BigInt, Maps, Sets, bytes)
   */
  key?: (this: unknown, ...args: A) => string
  /** How long a result stays fresh. @defaultValue the cache's ttl (forever for the private cache) */
  ttl?: Duration
  /** How long a stale result may be served when a reload fails. @defaultValue the cache's grace */
  grace?: Duration
  /** Tags to invalidate results by (`cache.invalidateTags`), fixed or per call. */
  tags?: readonly string[] | ((...args: A) => readonly string[])
  /** Whether to keep a result. @defaultValue keep every result (errors are never kept) */
  shouldCache?: (value: unknown) => boolean
  /** Bound of the private cache. @defaultValue 10_000 */
  maxEntries?: number
  /**
   * How argument-derived keys are written to a given `cache`.
   * - `'hashed'`: the SHA-256 (base64url) of the stable key of the arguments
   *   (or of what `key` returns), so no argument value reaches a shared tier, the
   *   CLI's `keys` or the dashboard's hot keys. Costs one hash per call (about a
   *   microsecond). A hash hides values from whoever lists keys; it does not make
   *   a guessable argument (a short password) secret from whoever tries guesses:
   *   do not memoize by a secret at all where that matters.
   * - `'readable'`: the stable key itself, for debugging; argument values are visible.
   *
   * The private cache (no `cache` given) keeps readable keys: it never leaves the process.
   * @defaultValue `'hashed'` with a `cache`
   */
  keys?: 'hashed' | 'readable'
}

/** A memoized function: the function itself, plus ways to forget results. */
export type Memoized<F extends (...args: never[]) => unknown> = F & {
  /** Forgets the result for these arguments. */
  delete(...args: Parameters<F>): Promise<void>
  /** Forgets every result of this function. */
  clear(): Promise<void>
  /** The key these arguments map to, as written to the cache (hashed in a given cache unless `keys: 'readable'`). */
  keyOf(...args: Parameters<F>): string
  /** The cache (or namespace) holding the results. */
  readonly cache: Cache
}

const SYNC = 1
const ASYNC = 2

/**
 * Memoizes `fn`. Sync functions stay sync (a hit returns the value itself);
 * async functions return a promise, and concurrent calls with the same
 * arguments share one call. Thrown errors and rejections are never cached.
 *
 * @param fn - the function; `this` is passed through
 * @param options - see {@link MemoizeOptions}
 * @throws CacheError `ERR_CACHE_UNKEYABLE` (from a call) when an argument is a function, symbol, cycle or class instance
 * @example
 * ```ts
 * const price = memoize((sku: string, currency: string) => computePrice(sku, currency), { ttl: '1m' })
 * price('A-1', 'EUR')             // computed
 * price('A-1', 'EUR')             // cached, returned synchronously
 * await price.delete('A-1', 'EUR')
 *
 * const user = memoize(async (id: number) => db.users.find(id), { cache, tags: ['users'] })
 * ```
 */
export function memoize<F extends (...args: never[]) => unknown>(
  fn: F,
  options: MemoizeOptions<Parameters<F>> = {},
): Memoized<F> {
  if (typeof fn !== 'function') throw invalidOption('fn', 'a function', fn)
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  const { key: keyFn, tags, shouldCache } = options
  if (keyFn !== undefined && typeof keyFn !== 'function') throw invalidOption('key', 'a function', keyFn)
  const keyForm = options.keys ?? 'hashed'
  if (keyForm !== 'hashed' && keyForm !== 'readable') throw invalidOption('keys', "'hashed' or 'readable'", keyForm)
  // Only a given cache can be seen from outside the process.
  const hashed = options.cache !== undefined && keyForm === 'hashed'
  if (options.cache !== undefined && options.name === undefined && fn.name === '') {
    // Two anonymous functions in one namespace would answer each other's calls.
    throw invalidOption('name', 'given when memoizing an anonymous function into a shared cache', undefined)
  }
  const cache =
    options.cache === undefined
      ? // LRU: a memoized hit should cost a lookup, not a frequency-sketch update.
        createCacheWith({}, () => [memoryStore({ maxEntries: options.maxEntries ?? 10_000, policy: 'lru' })])
      : options.cache.namespace(options.name ?? `memo:${fn.name}`)
  const setOptions = {
    ttl: options.ttl,
    grace: options.grace,
    tags: typeof tags === 'function' ? undefined : tags,
    shouldCache,
  }
  // The private LRU is touched on one hit in 8: hot results stay, and a hit costs a lookup.
  const read = cache.syncReader(options.cache === undefined ? 8 : 1) ?? noRead
  const tagsOf = typeof tags === 'function' ? tags : undefined
  const call = fn as unknown as (this: unknown, ...args: unknown[]) => unknown
  let mode = fn.constructor?.name === 'AsyncFunction' ? ASYNC : 0

  const optionsFor = (args: unknown[]) =>
    tagsOf === undefined ? setOptions : { ...setOptions, tags: tagsOf(...(args as Parameters<F>)) }

  const miss = (self: unknown, args: unknown[], key: string): unknown => {
    if (mode === ASYNC) return cache.getOrSet(key, () => call.apply(self, args), optionsFor(args))
    const result = call.apply(self, args)
    if (isThenable(result)) {
      mode = ASYNC
      return cache.getOrSet(key, () => result, optionsFor(args))
    }
    mode = SYNC
    if (shouldCache === undefined || shouldCache(result)) {
      // The memory tier is written before set() returns; other tiers finish in the background.
      cache.setNow(key, result, optionsFor(args)).catch(noop)
    }
    return result
  }

  const keyOf = (self: unknown, args: ArrayLike<unknown>): string => {
    const key =
      keyFn !== undefined
        ? (keyFn as (this: unknown, ...a: unknown[]) => string).apply(self, args as unknown[])
        : argsKey(args)
    return hashed ? hashedKey(key) : key
  }

  // One primitive argument is the common case: a wrapper of arity 1 reads it
  // without touching `arguments` or allocating a rest array on a hit.
  const memoized = (keyFn === undefined && !hashed && fn.length === 1
    ? function memoized(this: unknown, a: unknown): unknown {
        // biome-ignore lint/complexity/noArguments: reading the count allocates nothing; a rest parameter would allocate per call
        if (arguments.length === 1) {
          const key = primitiveKey(a)
          if (key !== undefined) {
            const env = read(key)
            if (env !== undefined) return mode === ASYNC ? Promise.resolve(env.value) : env.value
            return miss(this, [a], key)
          }
        }
        // biome-ignore lint/complexity/noArguments: the slow path (several arguments) copies them once
        return general(this, Array.prototype.slice.call(arguments))
      }
    : function memoized(this: unknown, ...args: unknown[]): unknown {
        return general(this, args)
      }) as unknown as Memoized<F>

  const general = (self: unknown, args: unknown[]): unknown => {
    const key = keyOf(self, args)
    const env = read(key)
    if (env !== undefined) return mode === ASYNC ? Promise.resolve(env.value) : env.value
    return miss(self, args, key)
  }

  Object.defineProperties(memoized, {
    name: { value: fn.name, configurable: true },
    length: { value: fn.length, configurable: true },
    cache: { value: cache, enumerable: true },
    delete: {
      value: async (...args: unknown[]) => {
        await cache.delete(keyOf(undefined, args))
      },
    },
    clear: { value: () => cache.clear() },
    keyOf: { value: (...args: unknown[]) => keyOf(undefined, args) },
  })
  return memoized
}

/** The key as written to a shared cache: a digest that names no argument. */
function hashedKey(key: string): string {
  return `#${hash('sha256', key, 'base64url')}`
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'
}

function noop(): void {}

function noRead(): undefined {
  return undefined
}
