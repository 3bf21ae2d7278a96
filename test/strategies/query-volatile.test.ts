// Reads whose answer changes while no table does (issue 19, finding 2):
// volatile functions, locking reads and writes hidden in a CTE are never
// cached; a user marks their own volatile functions with `volatile`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { cachedQuery, describeStatement } from '../../src/strategies.js'
import { postgresTable } from '../helpers/postgres.js'

const newCache = () => createCache({ tiers: [memoryStore()] })

describe('describeStatement: uncacheable reads', () => {
  it.each([
    ["select nextval('s')", 'nextval'],
    ["select pg_catalog.nextval('s'::regclass) as id", 'nextval'],
    ['select now() as t', 'now'],
    ['select current_timestamp', 'current_timestamp'],
    ['SELECT CURRENT_DATE', 'current_date'],
    ['select id from t where at > now() - interval $1', 'now'],
    ["select 'now'::timestamptz", "'now'"],
    ['select random()', 'random'],
    ['select gen_random_uuid()', 'gen_random_uuid'],
    ['select uuid_generate_v4()', 'uuid_generate_v4'],
    ['select txid_current()', 'txid_current'],
    ['select pg_try_advisory_lock(1)', 'pg_try_advisory_lock'],
    ['select pg_advisory_xact_lock($1)', 'pg_advisory_xact_lock'],
    ['select count(*) from pg_stat_activity', 'pg_stat_activity'],
    ["select current_setting('app.tenant')", 'current_setting'],
    ['select last_insert_rowid()', 'last_insert_rowid'],
    ['select changes()', 'changes'],
    ['select hex(randomblob(16))', 'randomblob'],
    ["select datetime('now')", "'now'"],
    ['select unixepoch()', 'the current time'],
    ['select * from jobs for update skip locked', 'for update'],
    ['select * from jobs where id = $1 FOR NO KEY UPDATE', 'for no key update'],
    ['select * from jobs for share', 'for share'],
  ])('%s: %s', (sql, reason) => {
    const info = describeStatement(sql)
    expect(info.kind).toBe('read')
    expect(info.uncacheable).toBe(reason)
  })

  it.each([
    'select now_playing from radio',
    'select t.random, t.current_date_label from t',
    "select * from t where note = 'random()'",
    'select * from pg_tables_of_mine',
  ])('%s stays cacheable', (sql) => {
    expect(describeStatement(sql).uncacheable).toBeUndefined()
  })

  it('marks the functions and patterns the user names', () => {
    const volatile = ['next_invoice_no', /\bbilling\.\w+\(/i]
    expect(describeStatement('select app.next_invoice_no()', { volatile }).uncacheable).toBe('next_invoice_no')
    expect(describeStatement('select Next_Invoice_No ( )', { volatile }).uncacheable).toBe('next_invoice_no')
    expect(describeStatement('select billing.quote(3)', { volatile }).uncacheable).toBe(String(volatile[1]))
    expect(describeStatement('select next_invoice_no_label from t', { volatile }).uncacheable).toBeUndefined()
  })

  it('a CTE that writes is a write of its tables; EXPLAIN ANALYZE of a write is a write', () => {
    expect(describeStatement('with x as (update t set v = v + 1 returning v) select v from x')).toEqual({
      kind: 'write',
      tables: ['t'],
    })
    expect(describeStatement('explain analyze delete from t where id = 1')).toEqual({ kind: 'write', tables: ['t'] })
    expect(describeStatement('explain (analyze, buffers) update t set v = 1')).toEqual({ kind: 'write', tables: ['t'] })
    expect(describeStatement('explain select * from t').kind).toBe('other')
    expect(describeStatement('select * into t2 from t')).toEqual({ kind: 'write', tables: undefined })
    // replace() is a string function, not a write: the read stays cacheable.
    expect(describeStatement("with x as (select replace(name, 'a', 'b') as n from t) select n from x")).toEqual({
      kind: 'read',
      tables: ['t', 'x'],
    })
  })
})

describe('volatile reads in PostgreSQL', () => {
  const pgdb = postgresTable('cs_qvol', (table) => [
    `create table ${table} (id int primary key, v int)`,
    `insert into ${table} values (1, 21)`,
    `create sequence ${table}_seq`,
    `create table ${table}_tickets (n int)`,
    `insert into ${table}_tickets values (0)`,
    `create function ${table}_next_ticket() returns int language sql volatile as $$ update ${table}_tickets set n = n + 1 returning n $$`,
  ])
  const { table } = pgdb
  afterAll(async () => {
    await pgdb.pool?.query(
      `drop function if exists ${table}_next_ticket(); drop table if exists ${table}_tickets; drop sequence if exists ${table}_seq`,
    )
  })

  it('nextval, now(), random(), gen_random_uuid() answer anew on every call', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    const next = `select nextval('${table}_seq') as n`
    expect((await q.query(next)).rows).toEqual([{ n: '1' }])
    expect((await q.query(next)).rows).toEqual([{ n: '2' }])
    expect((await q.query(`select currval('${table}_seq') as n`)).rows).toEqual([{ n: '2' }])
    for (const sql of [
      'select now() as x',
      // As text: microseconds, where a JavaScript Date would round two quick calls to one millisecond.
      'select clock_timestamp()::text as x',
      'select random() as x',
      'select gen_random_uuid() as x',
    ]) {
      const first = (await q.query<{ x: unknown }>(sql)).rows[0]!.x
      const second = (await q.query<{ x: unknown }>(sql)).rows[0]!.x
      expect(second, sql).not.toEqual(first)
    }
  })

  it('a function the user marks volatile is not cached (by name and by RegExp)', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const byName = cachedQuery(pool, { cache: newCache(), volatile: [`${table}_next_ticket`] })
    const byPattern = cachedQuery(pool, { cache: newCache(), volatile: [/_next_ticket\(/] })
    const sql = `select public.${table}_next_ticket() as n`
    const a = (await byName.query<{ n: number }>(sql)).rows[0]!.n
    const b = (await byName.query<{ n: number }>(sql)).rows[0]!.n
    const c = (await byPattern.query<{ n: number }>(sql)).rows[0]!.n
    const d = (await byPattern.query<{ n: number }>(sql)).rows[0]!.n
    expect([b - a, c - b, d - c]).toEqual([1, 1, 1])
  })

  it('SELECT … FOR UPDATE is never served from the cache', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    const sql = `select v from ${table} where id = 1 for update`
    await pool.query(`update ${table} set v = 21 where id = 1`)
    expect((await q.query(sql)).rows).toEqual([{ v: 21 }])
    await pool.query(`update ${table} set v = 22 where id = 1`)
    expect((await q.query(sql)).rows).toEqual([{ v: 22 }])
  })

  it('a write hidden in a CTE runs every time and invalidates the reads of its table', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    await pool.query(`update ${table} set v = 21 where id = 1`)
    const q = cachedQuery(pool, { cache: newCache() })
    const read = `select v from ${table} where id = 1`
    const bump = `with x as (update ${table} set v = v + 1 where id = 1 returning v) select v from x`
    expect((await q.query(read)).rows).toEqual([{ v: 21 }])
    expect((await q.query(bump)).rows).toEqual([{ v: 22 }])
    expect((await q.query(bump)).rows).toEqual([{ v: 23 }])
    expect((await q.query(read)).rows).toEqual([{ v: 23 }])
  })

  it('write: true makes a SELECT of a function that writes invalidate', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    const count = `select n from ${table}_tickets`
    const before = (await q.query<{ n: number }>(count)).rows[0]!.n
    await q.query(`select ${table}_next_ticket()`, [], { write: true, tables: [`${table}_tickets`] })
    expect((await q.query<{ n: number }>(count)).rows[0]!.n).toBe(before + 1)
  })
})

describe('volatile reads in SQLite (a file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cs-qvol-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('random(), randomblob() and the clock answer anew; last_insert_rowid() follows the connection', async () => {
    const db = new Database(join(dir, 'app.db'))
    db.exec('create table t (id integer primary key, v int)')
    const q = cachedQuery(db, { cache: newCache() })
    for (const sql of ['select random() as x', 'select hex(randomblob(8)) as x']) {
      const first = (await q.query<{ x: unknown }>(sql)).rows[0]!.x
      expect((await q.query<{ x: unknown }>(sql)).rows[0]!.x, sql).not.toEqual(first)
    }
    const id = 'select last_insert_rowid() as id'
    db.prepare('insert into t (v) values (1)').run()
    expect((await q.query(id)).rows).toEqual([{ id: 1 }])
    db.prepare('insert into t (v) values (2)').run()
    expect((await q.query(id)).rows).toEqual([{ id: 2 }])
    db.close()
  })
})
