/**
 * Query caching: reads through the wrapper are cached by SQL text and
 * parameters and tagged by the tables they read; writes through the same
 * wrapper invalidate those tables. For node-postgres (`Pool`, `Client`, a
 * pooled client) and better-sqlite3 (`Database`).
 *
 * Safety rules: a read whose tables cannot be told is tagged so that any
 * write invalidates it; a write whose tables cannot be told (DDL, unusual
 * syntax) invalidates every cached query; reads inside a transaction,
 * locking reads (`FOR UPDATE`) and reads calling volatile functions
 * (`nextval`, `now()`, `random()` …) are never cached; a write in a
 * transaction invalidates when the transaction commits, and not at all when
 * it rolls back.
 * @module
 */
import type { Cache } from '../core/cache.js'
import type { Duration } from '../core/duration.js'
import { CacheError, invalidOption } from '../core/errors.js'
import {
  isSubmittable,
  type QueryCall,
  type QueryCallback,
  type QueryConfig,
  type QueryOptions,
  type QueryResult,
  readCall,
  type Submittable,
} from './query-call.js'
import { type Driver, driverOf, type PgQueryable } from './query-drivers.js'
import { TransactionTracker, type TransactionWrites } from './query-transaction.js'
import { declaredTables, describeStatement, type StatementInfo } from './sql-tables.js'
import type { VolatileMarker } from './sql-volatile.js'
import { argsKey } from './stable-key.js'

/** Options of {@link cachedQuery}. */
export interface CachedQueryOptions {
  /** The cache results are stored in (under the namespace `query` unless `namespace` says otherwise). */
  cache: Cache
  /** @defaultValue `'query'` */
  namespace?: string
  /** How long a result stays fresh, as a bound on staleness from writes that bypass the wrapper. @defaultValue `'1m'` */
  ttl?: Duration
  /**
   * Your own volatile functions, whose reads are never cached: a name
   * matches a call (`'next_invoice_no'` matches `app.next_invoice_no(…)`,
   * any case); a RegExp is tested against the SQL as written. Added to the
   * built-in list (`nextval`, `now`, `random`, `gen_random_uuid`, …; see
   * docs/strategies.md).
   * @defaultValue `[]`
   */
  volatile?: readonly VolatileMarker[]
}

/**
 * A better-sqlite3 `Database`, as far as {@link cachedQuery}'s types need it.
 * Declared here so that the types of `cachestack/strategies` need no
 * `@types/better-sqlite3` in projects that never use SQLite.
 */
export interface SqliteDatabase {
  /** Compiles a statement (better-sqlite3's `Database#prepare`). */
  prepare(source: string): SqliteStatement
  /** Whether a transaction is open on the connection. */
  readonly inTransaction: boolean
}

/** A prepared better-sqlite3 statement, as far as {@link cachedQuery}'s types need it. */
export interface SqliteStatement {
  /** Whether the statement returns rows. */
  readonly reader: boolean
  /** Runs a reader and returns its rows. */
  all(...params: unknown[]): unknown[]
  /** Runs a writer and returns how many rows it changed. */
  run(...params: unknown[]): { changes: number }
}

/** What {@link cachedQuery} returns. */
export interface CachedQuery {
  /**
   * Runs a statement: a read from the cache when it can be, a write with
   * invalidation. Takes every form pg's `query` takes: `(text, values?)`,
   * `({ text, values, rowMode, name }, values?)`, either with a callback
   * last, or a submittable (a cursor or stream, passed to pg uncached);
   * cachestack's {@link QueryOptions} go after the values.
   */
  query<R = Record<string, unknown>>(
    textOrConfig: string | QueryConfig,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>>
  query<R = Record<string, unknown>>(textOrConfig: string | QueryConfig, options: QueryOptions): Promise<QueryResult<R>>
  query<R = Record<string, unknown>>(textOrConfig: string | QueryConfig, callback: QueryCallback<R>): void
  query<R = Record<string, unknown>>(
    textOrConfig: string | QueryConfig,
    values: readonly unknown[] | undefined,
    callback: QueryCallback<R>,
  ): void
  query<S extends Submittable>(submittable: S): S
  /**
   * Runs `fn` in a transaction: BEGIN, then COMMIT when it resolves or
   * ROLLBACK when it throws. On a pg `Pool` it runs on a client of its own,
   * released after; nested in an open transaction it uses a savepoint.
   * Inside, use the `tx` it is given.
   */
  transaction<T>(fn: (tx: CachedQuery) => Promise<T>): Promise<T>
  /** Invalidates every cached read of these tables (for writes made elsewhere); names as in {@link QueryOptions.tables}. */
  invalidate(tables: readonly string[]): Promise<void>
  /** Drops every cached result. */
  clear(): Promise<void>
  /** The namespace results are kept in. */
  readonly cache: Cache
}

/** The tag of reads whose tables are unknown: every write bumps it. */
const ANY_TABLE = '\u0000query:unknown-tables'
const tableTag = (t: string) => `table:${t}`

interface Shared {
  ns: Cache
  ttl: Duration
  volatile: readonly VolatileMarker[]
}

/**
 * Wraps a database so that reads are cached and writes invalidate.
 *
 * @param db - a node-postgres `Pool`, `Client` or pooled client, or a better-sqlite3 `Database`
 * @param options - see {@link CachedQueryOptions}
 * @example
 * ```ts
 * const q = cachedQuery(pool, { cache, ttl: '5m', volatile: ['next_invoice_no'] })
 * const { rows } = await q.query('select * from products where category = $1', ['books']) // cached, tagged table:products
 * await q.query('update products set price = $1 where id = $2', [9, 1])                    // invalidates table:products
 * await q.transaction(async (tx) => {                                                       // one pooled client
 *   await tx.query('update stock set n = n - 1 where id = $1', [1])                       // invalidates at COMMIT
 * })
 * ```
 */
export function cachedQuery(db: PgQueryable | SqliteDatabase, options: CachedQueryOptions): CachedQuery {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  if (options.cache === undefined || typeof options.cache.getOrSet !== 'function') {
    throw invalidOption('cache', 'a cache', options.cache)
  }
  const volatile = options.volatile ?? []
  if (!Array.isArray(volatile) || volatile.some((v) => typeof v !== 'string' && !(v instanceof RegExp))) {
    throw invalidOption('volatile', 'an array of function names or RegExps', options.volatile)
  }
  const ns = options.cache.namespace(options.namespace ?? 'query')
  return bind(driverOf(db), { ns, ttl: options.ttl ?? '1m', volatile })
}

/** A {@link CachedQuery} over one driver; `transaction()` on a pool binds one more to a client of its own. */
function bind(driver: Driver, shared: Shared): CachedQuery {
  const { ns, ttl } = shared
  const tx = new TransactionTracker(() => driver.inTransaction())
  let savepoints = 0

  const tagsOf = (tables: readonly string[]) => tables.flatMap((t) => declaredTables(t, driver.dialect))
  const invalidate = async (writes: TransactionWrites | undefined): Promise<void> => {
    if (writes === 'all') await ns.clear()
    else if (writes !== undefined) await ns.invalidateTags([ANY_TABLE, ...writes.map(tableTag)])
  }
  /** After a write: now, or at COMMIT when it ran in a transaction. */
  const wrote = async (tables: readonly string[] | undefined): Promise<void> => {
    if (tx.open) tx.wrote(tables)
    else await invalidate(tables ?? 'all')
  }

  const describe = (call: QueryCall): StatementInfo => {
    const info = describeStatement(call.text, { dialect: driver.dialect, volatile: shared.volatile })
    // SQLite knows whether a statement returns rows: trust it over the parser.
    if (info.kind === 'read' && driver.isReader?.(call.text) === false) return { kind: 'write', tables: undefined }
    if (call.options.write === true && info.kind !== 'transaction') return { kind: 'write', tables: info.tables }
    return info
  }

  const run = async (call: QueryCall): Promise<QueryResult<unknown>> => {
    const info = describe(call)
    const opts = call.options
    const declared = opts.tables === undefined ? undefined : tagsOf(opts.tables)
    if (info.kind === 'read' && !tx.open && cacheable(info, call)) {
      const tables = declared ?? info.tables
      const tags = tables === undefined ? [ANY_TABLE] : tables.map(tableTag)
      const key = argsKey([call.text, call.config?.rowMode ?? '', ...call.values])
      // The load may start later than this call (after a slower tier's miss, or as a refresh), when
      // the connection may have entered a transaction: such a result is answered, never stored.
      let inTransaction = false
      const load = () => {
        inTransaction = tx.open
        return driver.run(call)
      }
      return ns.getOrSet(key, load, { ttl: opts.ttl ?? ttl, tags, shouldCache: () => !inTransaction })
    }
    if (info.kind === 'transaction' && driver.connect !== undefined) {
      throw new CacheError(
        'ERR_CACHE_QUERY_POOL_TRANSACTION',
        `"${call.text.trim().slice(0, 40)}" through a pg Pool runs on whichever connection is free, so the statements after it are not in its transaction: use q.transaction(async (tx) => …), or cachedQuery(await pool.connect(), …).`,
      )
    }
    tx.starting(info)
    let ended: TransactionWrites | undefined
    try {
      const result = await driver.run(call)
      if (info.kind === 'write') await wrote(declared ?? info.tables)
      return result
    } finally {
      ended = tx.finished(info)
      if (ended !== undefined) await invalidate(ended)
    }
  }

  function query(...args: unknown[]): unknown {
    const [first] = args
    if (isSubmittable(first)) return submit(first)
    const call = readCall(args)
    const result = run(call)
    if (call.callback === undefined) return result
    const cb = call.callback
    result.then(
      (r) => cb(null, r),
      (e: Error) => cb(e, undefined),
    )
    return undefined
  }

  const submit = (s: Submittable): unknown => {
    if (driver.submit === undefined) throw invalidOption('sql', 'a string or a query config with SQLite', s)
    const info =
      typeof s.text === 'string' ? describe(readCall([s.text])) : { kind: 'write' as const, tables: undefined }
    const submitted = driver.submit(s)
    if (info.kind !== 'read') {
      // A write through a cursor or stream: invalidate once pg says it ended.
      const emitter = s as { once?: (event: string, listener: () => void) => unknown }
      const done = () => void wrote(info.tables).catch(() => {})
      if (typeof emitter.once === 'function') {
        emitter.once('end', done)
        emitter.once('error', done)
      } else done()
    }
    return submitted
  }

  const self: CachedQuery = {
    cache: ns,
    query: query as CachedQuery['query'],
    async transaction<T>(fn: (tx: CachedQuery) => Promise<T>): Promise<T> {
      if (typeof fn !== 'function') throw invalidOption('fn', 'a function', fn)
      if (driver.connect === undefined)
        return inTransaction(self, fn, tx.open ? `cachestack_sp_${++savepoints}` : undefined)
      const { driver: client, release } = await driver.connect()
      let failure: Error | undefined
      try {
        return await inTransaction(bind(client, shared), fn, undefined, (e) => (failure = e))
      } finally {
        release(failure)
      }
    },
    invalidate: async (tables) => {
      if (!Array.isArray(tables)) throw invalidOption('tables', 'an array of table names', tables)
      await invalidate(tagsOf(tables))
    },
    clear: () => ns.clear(),
  }
  return self
}

/** Whether a read may be cached at all (not volatile, not locking, no custom parsers, not turned off). */
function cacheable(info: StatementInfo, call: QueryCall): boolean {
  return info.uncacheable === undefined && call.options.cache !== false && call.config?.types === undefined
}

/**
 * BEGIN (or a savepoint), `fn`, then COMMIT or ROLLBACK. A ROLLBACK that
 * fails leaves the connection in an unknown state: `broken` hears of it, so
 * a pooled client is destroyed rather than reused.
 */
async function inTransaction<T>(
  q: CachedQuery,
  fn: (tx: CachedQuery) => Promise<T>,
  savepoint: string | undefined,
  broken?: (error: Error) => void,
): Promise<T> {
  await q.query(savepoint === undefined ? 'begin' : `savepoint ${savepoint}`)
  let result: T
  try {
    result = await fn(q)
  } catch (error) {
    try {
      await q.query(savepoint === undefined ? 'rollback' : `rollback to savepoint ${savepoint}`)
      if (savepoint !== undefined) await q.query(`release savepoint ${savepoint}`)
    } catch (rollbackError) {
      broken?.(rollbackError as Error)
    }
    throw error
  }
  await q.query(savepoint === undefined ? 'commit' : `release savepoint ${savepoint}`)
  return result
}

export type { QueryCallback, QueryConfig, QueryOptions, QueryResult, Submittable } from './query-call.js'
export type { PgQueryable } from './query-drivers.js'
