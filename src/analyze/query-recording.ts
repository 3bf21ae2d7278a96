/**
 * Recording for databases and functions: wrappers that time each call,
 * digest its result, and report it with the tables it reads or writes (parsed
 * from the SQL by the query cache's own parser). The wrapped object is the
 * original behind a Proxy: the application keeps calling it as before.
 * @module
 */
import type { Database, Statement } from 'better-sqlite3'
import { invalidOption } from '../core/errors.js'
import { describeStatement } from '../strategies/sql-tables.js'
import { argsKey } from '../strategies/stable-key.js'
import { digestValue } from './digest.js'
import type { Recorder } from './recorder.js'

/**
 * A query's name: its SQL with whitespace collapsed and literals replaced by
 * `?`, so the same statement with inlined values counts as one query.
 */
export function queryName(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w$])\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
}

function keyOf(parts: readonly unknown[]): string {
  try {
    return argsKey(parts)
  } catch {
    return parts.map(String).join('\u0000')
  }
}

interface Statement_ {
  name: string
  reads: string[] | undefined
  writes: string[] | undefined
}

/** Parsed statements by SQL text: an application runs the same few hundred statements over and over. */
const statements = new Map<string, Statement_>()

function statementOf(sql: string): Statement_ {
  let s = statements.get(sql)
  if (s === undefined) {
    const info = describeStatement(sql)
    s = {
      name: queryName(sql),
      reads: info.kind === 'read' ? info.tables : undefined,
      writes: info.kind === 'write' ? (info.tables ?? ['(unknown tables)']) : undefined,
    }
    if (statements.size >= 1000) statements.clear()
    statements.set(sql, s)
  }
  return s
}

function observe(recorder: Recorder, sql: string, params: readonly unknown[]) {
  const key = keyOf([sql, ...params])
  const keyDigest = recorder.sampledDigest(key)
  if (keyDigest === -1) return undefined
  const s = statementOf(sql)
  const start = performance.now()
  return (result: unknown, failed: boolean) =>
    recorder.record(
      {
        kind: 'query',
        name: s.name,
        key,
        ms: performance.now() - start,
        hash: failed || s.writes !== undefined ? undefined : digestValue(result),
        error: failed,
        reads: s.reads,
        writes: s.writes,
      },
      keyDigest,
    )
}

/** A node-postgres `Pool` or `Client`: anything with `query(text, values)`. */
export interface PgLike {
  query(...args: never[]): unknown
}

/**
 * Wraps a node-postgres `Pool`/`Client` or a better-sqlite3 `Database` so that
 * every query through it is recorded: reads with a digest of their rows,
 * writes with the tables they touched. Returns the same object, proxied.
 *
 * @param db - the database handle
 * @param recorder - from {@link createRecorder}
 * @example
 * ```ts
 * const pool = recordQueries(new pg.Pool(), recorder)
 * const db = recordQueries(new Database('app.db'), recorder)
 * ```
 */
export function recordQueries<D extends PgLike | Database>(db: D, recorder: Recorder): D {
  if (recorder === null || typeof recorder?.record !== 'function')
    throw invalidOption('recorder', 'a Recorder', recorder)
  if (db === null || typeof db !== 'object')
    throw invalidOption('db', 'a pg Pool/Client or a better-sqlite3 Database', db)
  if (typeof (db as Database).prepare === 'function') return recordSqlite(db as Database, recorder) as D
  if (typeof (db as PgLike).query === 'function') return recordPg(db as PgLike, recorder) as D
  throw invalidOption('db', 'a pg Pool/Client or a better-sqlite3 Database', db)
}

function recordPg<D extends PgLike>(db: D, recorder: Recorder): D {
  const query = (db.query as (...a: unknown[]) => unknown).bind(db)
  const wrapped = function query_(...args: unknown[]): unknown {
    const [first, values] = args
    const sql = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text
    // Callback forms and query objects without text (cursors, streams) pass untouched.
    if (typeof sql !== 'string' || typeof args[args.length - 1] === 'function') return query(...args)
    const params = Array.isArray(values) ? values : ((first as { values?: unknown[] }).values ?? [])
    const done = observe(recorder, sql, params)
    const result = query(...args)
    if (done !== undefined && result instanceof Promise) {
      result.then(
        (r: { rows?: unknown }) => done(r?.rows, false),
        () => done(undefined, true),
      )
    }
    return result
  }
  return new Proxy(db, {
    get: (target, prop, receiver) => (prop === 'query' ? wrapped : Reflect.get(target, prop, receiver)),
  })
}

function recordSqlite(db: Database, recorder: Recorder): Database {
  const wrapStatement = (stmt: Statement<unknown[]>, sql: string) =>
    new Proxy(stmt, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver)
        if ((prop !== 'all' && prop !== 'get' && prop !== 'run') || typeof v !== 'function') {
          return typeof v === 'function' ? v.bind(target) : v
        }
        return (...params: unknown[]) => {
          const done = observe(recorder, sql, params)
          try {
            const result = (v as (...a: unknown[]) => unknown).apply(target, params)
            done?.(result, false)
            return result
          } catch (error) {
            done?.(undefined, true)
            throw error
          }
        }
      },
    })
  return new Proxy(db, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver)
      if (prop === 'prepare' && typeof v === 'function') {
        return (sql: string) => wrapStatement((v as Database['prepare']).call(target, sql) as Statement<unknown[]>, sql)
      }
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
}

/**
 * Wraps an async (or sync) function so that every call is recorded under
 * `name`, keyed by its arguments, with a digest of what it returned.
 *
 * @param recorder - from {@link createRecorder}
 * @param name - the name the analyzer shows (`'pricing.fetch'`)
 * @param fn - the function
 * @example
 * ```ts
 * const getPrice = recordFunction(recorder, 'getPrice', (id: number) => pricing.get(id))
 * ```
 */
export function recordFunction<A extends unknown[], R>(
  recorder: Recorder,
  name: string,
  fn: (...args: A) => R,
): (...args: A) => R {
  if (recorder === null || typeof recorder?.record !== 'function')
    throw invalidOption('recorder', 'a Recorder', recorder)
  if (typeof name !== 'string' || name === '') throw invalidOption('name', 'a non-empty string', name)
  if (typeof fn !== 'function') throw invalidOption('fn', 'a function', fn)
  return function recorded(this: unknown, ...args: A): R {
    const key = keyOf(args)
    if (!recorder.sampled(key)) return fn.apply(this, args)
    const start = performance.now()
    const done = (value: unknown, error: boolean) =>
      recorder.record({
        kind: 'function',
        name,
        key,
        ms: performance.now() - start,
        hash: error ? undefined : digestValue(value),
        error,
      })
    let result: R
    try {
      result = fn.apply(this, args)
    } catch (error) {
      done(undefined, true)
      throw error
    }
    if (result instanceof Promise) {
      result.then(
        (v) => done(v, false),
        () => done(undefined, true),
      )
    } else done(result, false)
    return result
  }
}
