/**
 * The two databases the query cache drives, behind one small interface:
 * node-postgres (`Pool`, `Client`, a pooled client) and better-sqlite3
 * (`Database`). Each runs a {@link QueryCall}, tells whether the connection
 * is in a transaction when it can, and names tables by its own SQL rules.
 * @module
 */
import type { Database, Statement } from 'better-sqlite3'
import { invalidOption } from '../core/errors.js'
import type { QueryCall, QueryResult, Submittable } from './query-call.js'
import type { SqlDialect } from './sql-tables.js'

/** A pg result, as far as the wrapper reads it. */
interface PgResultLike {
  rows: unknown[]
  rowCount: number | null
  command?: string
  fields?: readonly { name: string }[]
}

/**
 * A pg `Pool`, `Client` or pooled client: anything whose `query` takes what
 * pg's does (text or `{ text, values, … }`, then values) and resolves
 * `{ rows, rowCount }`.
 */
export interface PgQueryable {
  query(textOrConfig: string | { text: string; values?: unknown[] }, values?: unknown[]): Promise<PgResultLike>
}

/** One connection (or pool) the query cache runs statements on. */
export interface Driver {
  readonly dialect: SqlDialect
  /** Set on a pg Pool: a client of its own, for `transaction()`. */
  connect?(): Promise<{ driver: Driver; release(error?: Error): void }>
  /** SQLite knows whether a statement returns rows. */
  isReader?(text: string): boolean
  run(call: QueryCall): Promise<QueryResult<unknown>>
  /** pg only: hands a cursor or stream to the driver. */
  submit?(submittable: Submittable): unknown
  /** Whether the connection reports an open transaction; `undefined` when it cannot tell (a pool, an old pg). */
  inTransaction(): boolean | undefined
}

/** The driver for `db`, or an error naming what it accepts. */
export function driverOf(db: unknown): Driver {
  if (db !== null && typeof db === 'object' && typeof (db as Database).prepare === 'function') {
    return sqliteDriver(db as Database)
  }
  if (db !== null && typeof db === 'object' && typeof (db as PgQueryable).query === 'function') {
    return pgDriver(db as PgQueryable)
  }
  throw invalidOption('db', 'a node-postgres Pool or Client, or a better-sqlite3 Database', db)
}

interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgQueryable & { release(error?: Error): void }>
}

function pgDriver(db: PgQueryable): Driver {
  const pool =
    typeof (db as PgPoolLike).connect === 'function' && 'totalCount' in db ? (db as unknown as PgPoolLike) : undefined
  const status = (db as { getTransactionStatus?: () => string | null }).getTransactionStatus
  return {
    dialect: 'postgres',
    connect: pool
      ? async () => {
          const client = await pool.connect()
          return { driver: pgDriver(client), release: (error) => client.release(error) }
        }
      : undefined,
    async run(call) {
      const values = call.values as unknown[]
      const raw =
        call.config === undefined
          ? await db.query(call.text, values)
          : // Without its callback field pg answers with a promise; the wrapper calls the callback itself.
            await db.query({ ...call.config, text: call.text, values, callback: undefined } as {
              text: string
              values: unknown[]
            })
      // Several statements in one string answer with one result each: the last one is the answer.
      const r = (Array.isArray(raw) ? raw[raw.length - 1] : raw) as PgResultLike
      return {
        rows: r.rows,
        rowCount: r.rowCount ?? r.rows.length,
        ...(r.command === undefined ? {} : { command: r.command }),
        ...(r.fields === undefined ? {} : { fields: r.fields }),
      }
    },
    submit: (submittable) => (db as unknown as { query(s: Submittable): unknown }).query(submittable),
    inTransaction() {
      // pg ≥ 8.21: 'T' in a transaction, 'E' in a failed one, 'I' idle; a pool has no transaction of its own.
      if (pool !== undefined) return false
      const s = typeof status === 'function' ? status.call(db) : undefined
      return s === 'T' || s === 'E' ? true : s === 'I' ? false : undefined
    },
  }
}

function sqliteDriver(db: Database): Driver {
  const statements = new Map<string, Statement<unknown[]>>()
  const prepare = (sql: string) => {
    let stmt = statements.get(sql)
    if (stmt === undefined) {
      stmt = db.prepare<unknown[]>(sql)
      if (statements.size >= 500) statements.delete(statements.keys().next().value!)
      statements.set(sql, stmt)
    }
    return stmt
  }
  return {
    dialect: 'sqlite',
    isReader: (sql) => prepare(sql).reader,
    // Runs synchronously within the call, so a query made inside `db.transaction(fn)` runs inside it.
    async run(call) {
      const stmt = prepare(call.text)
      const params = call.values as unknown[]
      if (stmt.reader) {
        const array = call.config?.rowMode === 'array'
        stmt.raw(array)
        const rows = stmt.all(...params)
        if (array) stmt.raw(false)
        return array
          ? { rows, rowCount: rows.length, fields: stmt.columns().map((c) => ({ name: c.name })) }
          : { rows, rowCount: rows.length }
      }
      const info = stmt.run(...params)
      return { rows: [], rowCount: info.changes }
    },
    inTransaction: () => db.inTransaction,
  }
}
