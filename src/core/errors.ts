/**
 * The one registry of cachestack's error codes. Each code is stable: it is
 * part of the public contract, documented in docs/errors.md with how to fix
 * it, and never reused once retired.
 * @module
 */

/**
 * Every error code cachestack throws, with the advice shown in docs/errors.md.
 * A test keeps this table, the docs and the exports in step.
 */
export const ERROR_CODES = {
  ERR_CACHE_INVALID_TTL:
    'Pass a duration as milliseconds (a finite number ≥ 0) or a string such as "250ms", "5s", "5m", "1h", "1d".',
  ERR_CACHE_INVALID_SIZE: 'Pass a size as bytes (a finite number ≥ 0) or a string such as "64kb", "256mb", "1gb".',
  ERR_CACHE_KEY: "Use a non-empty string key no longer than the cache's maxKeyLength option.",
  ERR_CACHE_SERIALIZE:
    'Store only values the serializer supports (plain objects, arrays, primitives, Date, Map, Set, BigInt, bytes); remove functions, symbols and cycles, or pass a custom serializer.',
  ERR_CACHE_DESERIALIZE:
    'The stored bytes are not a cachestack envelope: clear the tier, or check that every writer uses the same serializer.',
  ERR_CACHE_INVALID_OPTION: 'Fix the named option: the message says which values it accepts.',
  ERR_CACHE_UNAVAILABLE:
    'The tier could not be reached: check its address and that the server runs; the cache serves from the source meanwhile.',
  ERR_CACHE_TIMEOUT: "The tier did not answer within its timeout: raise the timeout or check the server's load.",
  ERR_CACHE_CLOSED: 'The cache or store was closed: create a new one, or stop using it after close().',
  ERR_CACHE_CIRCUIT_OPEN:
    'The tier failed repeatedly and is skipped until its cooldown ends (the circuit breaker): fix the tier; raise breaker.failures or lower breaker.cooldown to change how soon it trips and retries.',
  ERR_CACHE_TOO_LARGE:
    "The value is larger than the tier accepts (Memcached's item size, the store's maxBytes): store a smaller value, enable compression, or raise the limit.",
  ERR_CACHE_PEER_MISSING:
    'An optional peer dependency is not installed: install the package the message names (for example `npm install better-sqlite3`).',
  ERR_CACHE_LOADER:
    'A batch loader (loadMany) must return one value per key, in the order of the keys it received, or a Map from key to value.',
  ERR_CACHE_UNKEYABLE:
    'A memoized argument cannot be turned into a stable key (a function, symbol, cycle or class instance): pass a key option that maps the arguments to a string.',
  ERR_CACHE_FLUSH:
    'Write-behind could not flush pending writes to the source: they stay in the journal and are replayed on the next start; fix the flush function or the database.',
  ERR_CACHE_JOURNAL:
    'The write-behind journal could not be opened or written: check the path (or Redis client). A SQLite journal file serves one process, and each journal name in it one queue: give each process its own path and each queue its own name. A Redis stream serves one queue of one process: give each its own stream key.',
  ERR_CACHE_PURGE:
    'A purge hook (the proxy or the CDN named in the message) failed after the tags were invalidated in the tiers: check its address and token, then call invalidateTags again (purges are idempotent).',
  ERR_CACHE_QUERY_POOL_TRANSACTION:
    'A transaction statement (BEGIN, COMMIT, SAVEPOINT …) was sent through a pg Pool, which runs each query on whichever connection is free: use q.transaction(async (tx) => …), or wrap a client from pool.connect() with cachedQuery.',
} as const

/** A stable error code, one of {@link ERROR_CODES}' keys. */
export type CacheErrorCode = keyof typeof ERROR_CODES

/**
 * The one error class cachestack throws. Check `code`, not the message.
 *
 * @example
 * ```ts
 * try { await cache.set('', 1) } catch (err) {
 *   if (err instanceof CacheError && err.code === 'ERR_CACHE_KEY') { ... }
 * }
 * ```
 */
export class CacheError extends Error {
  /** The stable code naming the problem. */
  readonly code: CacheErrorCode

  /**
   * @param code - the stable code
   * @param message - what went wrong and what to change
   * @param options - `cause`: the underlying error, where there is one
   */
  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CacheError'
    this.code = code
  }
}

/** True when `err` is a {@link CacheError}, optionally with the given code. */
export function isCacheError(err: unknown, code?: CacheErrorCode): err is CacheError {
  return err instanceof CacheError && (code === undefined || err.code === code)
}

/** Builds an ERR_CACHE_INVALID_OPTION error that names the option. */
export function invalidOption(option: string, expected: string, got: unknown): CacheError {
  return new CacheError('ERR_CACHE_INVALID_OPTION', `Option "${option}" must be ${expected}; got ${describe(got)}.`)
}

/** A short, safe description of a value for error messages (never the whole value). */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : typeof value
}
