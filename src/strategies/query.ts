/**
 * Query caching: reads through the wrapper are cached by SQL text and
 * parameters and tagged by the tables they read; writes through the same
 * wrapper invalidate those tables. For node-postgres (`Pool`, `Client`) and
 * better-sqlite3 (`Database`).
 *
 * Safety rules: a read whose tables cannot be told is tagged so that any
 * write invalidates it; a write whose tables cannot be told (DDL, unusual
 * syntax) invalidates every cached query; reads inside a transaction and
 * locking reads (`FOR UPDATE`) are never cached; a write is invalidated again
 * when its transaction ends, so a reader on another connection cannot cache
 * the rows it saw before the commit.
 * @module
 */
import type { Cache } from '../core/cache.js'
import type { Duration } from '../core/duration.js'
import { invalidOption } from '../core/errors.js'
import { describeStatement } from './sql-tables.js'
import { argsKey } from './stable-key.js'

/** Rows and count, the shape every driver's result is reduced to. */
export interface QueryResult<R> {
  rows: R[]
  /** Rows returned (reads) or changed (writes). */
  rowCount: number
}

/** Options of one query. */
export interface QueryOptions {
  /** The tables a read depends on or a write changes (views, functions, triggers, cascades). @defaultValue parsed from the SQL */
  tables?: readonly string[]
  /** How long this read's result stays fresh. @defaultValue the wrapper's `ttl` */
  ttl?: Duration
  /** `false` runs the query without the cache. @defaultValue true */
  cache?: boolean
}

/** Options of {@link cachedQuery}. */
export interface CachedQueryOptions {
  /** The cache results are stored in (under the namespace `query` unless `namespace` says otherwise). */
  cache: Cache
  /** @defaultValue `'query'` */
  namespace?: string
  /** How long a result stays fresh, as a bound on staleness from writes that bypass the wrapper. @defaultValue `'1m'` */
  ttl?: Duration
}

/** A pg `Pool`/`Client` (anything with `query(text, values)` resolving `{ rows, rowCount }`). */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>
}

/**
 * A better-sqlite3 `Database`, as far as {@link cachedQuery} uses it. Declared
 * here so that the types of `cachestack/strategies` need no
 * `@types/better-sqlite3` in projects that never use SQLite.
 */
export interface SqliteDatabase {
  /** Compiles a statement (better-sqlite3's `Database#prepare`). */
  prepare(source: string): SqliteStatement
  /** Whether a transaction is open on the connection. */
  readonly inTransaction: boolean
}

/** A prepared better-sqlite3 statement, as far as {@link cachedQuery} uses it. */
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
  /** Runs `sql` with `params`: a read from the cache when it can be, a write with invalidation. */
  query<R = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>>
  /** Invalidates every cached read of these tables (for writes made elsewhere). */
  invalidate(tables: readonly string[]): Promise<void>
  /** Drops every cached result. */
  clear(): Promise<void>
  /** The namespace results are kept in. */
  readonly cache: Cache
}

/** The tag of reads whose tables are unknown: every write bumps it. */
const ANY_TABLE = '\u0000query:unknown-tables'
const tableTag = (t: string) => `table:${t}`

/**
 * Wraps a database so that reads are cached and writes invalidate.
 *
 * @param db - a node-postgres `Pool` or `Client`, or a better-sqlite3 `Database`
 * @param options - see {@link CachedQueryOptions}
 * @example
 * ```ts
 * const q = cachedQuery(pool, { cache, ttl: '5m' })
 * const { rows } = await q.query('select * from products where category = $1', ['books']) // cached, tagged table:products
 * await q.query('update products set price = $1 where id = $2', [9, 1])                    // invalidates table:products
 * ```
 */
export function cachedQuery(db: PgQueryable | SqliteDatabase, options: CachedQueryOptions): CachedQuery {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  if (options.cache === undefined || typeof options.cache.getOrSet !== 'function') {
    throw invalidOption('cache', 'a cache', options.cache)
  }
  const ns = options.cache.namespace(options.namespace ?? 'query')
  const ttl = options.ttl ?? '1m'
  const run = driverOf(db)
  /** Tables written in the open transaction (pg Client, or SQLite), invalidated again when it ends. */
  let txTables: Set<string> | undefined
  let txUnknown = false

  const invalidate = async (tables: readonly string[] | undefined): Promise<void> => {
    if (tables === undefined) {
      await ns.clear()
      return
    }
    await ns.invalidateTags([ANY_TABLE, ...tables.map(tableTag)])
  }

  return {
    cache: ns,
    async query<R>(sql: string, params: readonly unknown[] = [], opts: QueryOptions = {}): Promise<QueryResult<R>> {
      if (typeof sql !== 'string') throw invalidOption('sql', 'a string', sql)
      const info = describeStatement(sql)
      // SQLite knows whether a statement returns rows: trust it over the parser.
      if (info.kind === 'read' && run.isReader?.(sql) === false) {
        info.kind = 'write'
        info.tables = undefined
      }
      const declared = opts.tables?.map((t) => t.toLowerCase())
      if (info.kind === 'read' && opts.cache !== false && !run.inTransaction()) {
        const tables = declared ?? info.tables
        const tags = tables === undefined ? [ANY_TABLE] : tables.map(tableTag)
        const key = argsKey([sql, ...params])
        return ns.getOrSet(key, () => run.read(sql, params) as Promise<QueryResult<R>>, { ttl: opts.ttl ?? ttl, tags })
      }
      if (info.kind === 'begin') run.begin()
      const result =
        info.kind === 'read' || info.kind === 'other' ? await run.read(sql, params) : await run.write(sql, params)
      if (info.kind === 'write') {
        const tables = declared ?? info.tables
        await invalidate(tables)
        if (run.inTransaction()) {
          if (tables === undefined) txUnknown = true
          else for (const t of tables) (txTables ??= new Set()).add(t)
        }
      } else if (info.kind === 'end') {
        run.end()
        if (!run.inTransaction() && (txTables !== undefined || txUnknown)) {
          const tables = txUnknown ? undefined : [...txTables!]
          txTables = undefined
          txUnknown = false
          await invalidate(tables)
        }
      }
      return result as QueryResult<R>
    },
    invalidate: (tables) => invalidate(tables.map((t) => t.toLowerCase())),
    clear: () => ns.clear(),
  }
}

interface Driver {
  isReader?(sql: string): boolean
  read(sql: string, params: readonly unknown[]): Promise<QueryResult<unknown>>
  write(sql: string, params: readonly unknown[]): Promise<QueryResult<unknown>>
  inTransaction(): boolean
  begin(): void
  end(): void
}

function driverOf(db: PgQueryable | SqliteDatabase): Driver {
  if (db !== null && typeof db === 'object' && 'prepare' in db && typeof db.prepare === 'function') {
    return sqliteDriver(db as SqliteDatabase)
  }
  if (db !== null && typeof db === 'object' && typeof (db as PgQueryable).query === 'function') {
    return pgDriver(db as PgQueryable)
  }
  throw invalidOption('db', 'a node-postgres Pool or Client, or a better-sqlite3 Database', db)
}

function pgDriver(db: PgQueryable): Driver {
  // A Pool runs each query on any connection, so it has no transaction of its own to track.
  const isPool = typeof (db as { connect?: unknown }).connect === 'function' && 'totalCount' in db
  let depth = 0
  const exec = async (sql: string, params: readonly unknown[]) => {
    const r = await db.query(sql, params as unknown[])
    return { rows: r.rows, rowCount: r.rowCount ?? r.rows.length }
  }
  return {
    read: exec,
    write: exec,
    inTransaction: () => depth > 0,
    begin() {
      if (!isPool) depth = 1
    },
    end() {
      depth = 0
    },
  }
}

function sqliteDriver(db: SqliteDatabase): Driver {
  const statements = new Map<string, SqliteStatement>()
  const prepare = (sql: string) => {
    let stmt = statements.get(sql)
    if (stmt === undefined) {
      stmt = db.prepare(sql)
      if (statements.size >= 500) statements.delete(statements.keys().next().value!)
      statements.set(sql, stmt)
    }
    return stmt
  }
  const exec = async (sql: string, params: readonly unknown[]) => {
    const stmt = prepare(sql)
    if (stmt.reader) {
      const rows = stmt.all(...(params as unknown[]))
      return { rows, rowCount: rows.length }
    }
    const info = stmt.run(...(params as unknown[]))
    return { rows: [], rowCount: info.changes }
  }
  return {
    isReader: (sql) => prepare(sql).reader,
    read: exec,
    write: exec,
    inTransaction: () => db.inTransaction,
    begin() {},
    end() {},
  }
}
