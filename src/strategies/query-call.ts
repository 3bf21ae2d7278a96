/**
 * The call forms of `CachedQuery.query`, which are node-postgres' own: text
 * or a query config, then values and a callback, each optional, plus a
 * submittable (a cursor or stream); and cachestack's per-query options.
 * Each form is reduced to one {@link QueryCall}.
 * @module
 */

import type { Duration } from '../core/duration.js'
import { invalidOption } from '../core/errors.js'

/** node-postgres' query config: what `pool.query({ text, values, rowMode })` takes. */
export interface QueryConfig {
  /** The SQL. */
  text: string
  /** Parameters ($1, $2 … in pg; ? in SQLite). A `values` argument after the config replaces them, as in pg. */
  values?: readonly unknown[]
  /** A prepared statement's name (pg): passed on, not part of the cache key. */
  name?: string
  /** `'array'`: rows as arrays of column values (SQLite: `statement.raw()`); part of the cache key. */
  rowMode?: 'array'
  /** pg's custom type parsers: a query that sets them is never cached, since parsers are functions no key can name. */
  types?: unknown
  /** pg's callback field: the same as a callback argument. */
  callback?: QueryCallback<never>
  /** Any other field pg accepts (`queryMode`, …) is passed on. */
  [field: string]: unknown
}

/** Options of one query, the last object argument of `query`. */
export interface QueryOptions {
  /**
   * The tables a read depends on or a write changes (views, functions,
   * triggers, cascades). Named as in SQL: `'"Users"'` is exactly Users;
   * `'Users'` is users and, in PostgreSQL, also Users.
   * @defaultValue parsed from the SQL
   */
  tables?: readonly string[]
  /** How long this read's result stays fresh. @defaultValue the wrapper's `ttl` */
  ttl?: Duration
  /** `false` runs the query without the cache. @defaultValue true */
  cache?: boolean
  /**
   * `true`: the statement changes data although it reads as a `SELECT`
   * (`select archive_orders()`): it is never cached and invalidates
   * `tables` (every cached query when `tables` is not given).
   * @defaultValue false
   */
  write?: boolean
}

/** The rows-and-count shape every driver's result is reduced to. */
export interface QueryResult<R> {
  rows: R[]
  /** Rows returned (reads) or changed (writes). */
  rowCount: number
  /** pg: the command tag's verb (`'SELECT'`, `'UPDATE'` …). */
  command?: string
  /** pg: the column descriptions; SQLite: `{ name }` of each column when `rowMode` is `'array'`. */
  fields?: readonly { name: string }[]
}

/** node-style callback, as pg's `query(text, values, callback)` takes. */
export type QueryCallback<R> = (error: Error | null, result: QueryResult<R> | undefined) => void

/** Something pg can run itself (`pg-cursor`, `pg-query-stream`): passed to the driver, never cached. */
export interface Submittable {
  submit: (connection: never) => void
  text?: string
}

/** One query, whatever form it was called in. */
export interface QueryCall {
  text: string
  values: readonly unknown[]
  /** The config form's object, when it was used (its extra fields go to pg). */
  config: QueryConfig | undefined
  options: QueryOptions
  callback: QueryCallback<unknown> | undefined
}

/** Whether `value` is a pg submittable (a cursor or stream object). */
export function isSubmittable(value: unknown): value is Submittable {
  return value !== null && typeof value === 'object' && typeof (value as Submittable).submit === 'function'
}

/**
 * Reads the arguments of `query`: `(text | config, values?, options?, callback?)`,
 * where values, options and the callback are told apart by their type (an
 * array, a plain object, a function), in that order.
 */
export function readCall(args: readonly unknown[]): QueryCall {
  const [first, ...rest] = args
  let config: QueryConfig | undefined
  let text: string
  let values: readonly unknown[] | undefined
  if (typeof first === 'string') text = first
  else if (first !== null && typeof first === 'object' && typeof (first as QueryConfig).text === 'string') {
    config = first as QueryConfig
    text = config.text
    if (config.values !== undefined && !Array.isArray(config.values)) {
      throw invalidOption('values', 'an array of parameters', config.values)
    }
    values = config.values
  } else throw invalidOption('sql', 'a string, a query config ({ text, values }) or a pg submittable', first)
  let options: QueryOptions | undefined
  let callback: QueryCallback<unknown> | undefined
  let seen = 0 // 1: values, 2: options, 3: the callback; each may only follow the ones before it
  for (const arg of rest) {
    if (arg === undefined || arg === null) continue
    if (Array.isArray(arg) && seen < 1) {
      values = arg
      seen = 1
    } else if (typeof arg === 'object' && !Array.isArray(arg) && seen < 2) {
      options = arg as QueryOptions
      seen = 2
    } else if (typeof arg === 'function' && seen < 3) {
      callback = arg as QueryCallback<unknown>
      seen = 3
    } else throw invalidOption('query arguments', '(text | config, values?, options?, callback?)', arg)
  }
  if (callback === undefined && typeof config?.callback === 'function')
    callback = config.callback as QueryCallback<unknown>
  return { text, values: values ?? [], config, options: options ?? {}, callback }
}
