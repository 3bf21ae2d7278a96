// Table names by each database's rules (issue 19, finding 3) and every call
// form pg's `query` accepts (finding 4), against the test PostgreSQL and a
// real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createCache, isCacheError, memoryStore } from '../../src/index.js'
import { cachedQuery, describeStatement, type QueryResult } from '../../src/strategies.js'
import { postgresTable } from '../helpers/postgres.js'

const newCache = () => createCache({ tiers: [memoryStore()] })

describe('table names', () => {
  it('PostgreSQL keeps quoted names as written and folds unquoted ones; SQLite folds both', () => {
    expect(describeStatement('select * from "X_Mixed" join X_Other on true').tables).toEqual(['X_Mixed', 'x_other'])
    expect(describeStatement('update public."X_Mixed" set v = 1').tables).toEqual(['X_Mixed'])
    const sqlite = { dialect: 'sqlite' as const }
    expect(describeStatement('select * from "X_Mixed" join [Y] join `Z` on true', sqlite).tables).toEqual([
      'x_mixed',
      'y',
      'z',
    ])
    expect(describeStatement('select * from "Ünïcode"').tables).toEqual(['Ünïcode'])
  })

  const pgdb = postgresTable('cs_qname', (table) => [
    `create table "${table}_X_Mixed" (v int)`,
    `insert into "${table}_X_Mixed" values (1)`,
    `create table ${table}_x_mixed (v int)`,
    `insert into ${table}_x_mixed values (100)`,
    `create table ${table} (v int)`,
  ])
  const { table } = pgdb
  afterAll(async () => {
    await pgdb.pool?.query(`drop table if exists "${table}_X_Mixed"; drop table if exists ${table}_x_mixed`)
  })

  it('PostgreSQL: invalidate() and tables keep the case of a quoted mixed-case table', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    const mixed = `${table}_X_Mixed`
    const read = `select v from "${mixed}"`
    const viaView = `select v from (select v from "${mixed}") as hidden`
    expect((await q.query(read)).rows).toEqual([{ v: 1 }])
    expect((await q.query(viaView, [], { tables: [mixed] })).rows).toEqual([{ v: 1 }])
    await pool.query(`update "${mixed}" set v = 2`)
    await q.invalidate([mixed])
    expect((await q.query(read)).rows).toEqual([{ v: 2 }])
    expect((await q.query(viaView, [], { tables: [mixed] })).rows).toEqual([{ v: 2 }])
    await pool.query(`update "${mixed}" set v = 3`)
    await q.invalidate([`public."${mixed}"`])
    expect((await q.query(read)).rows).toEqual([{ v: 3 }])
  })

  it('PostgreSQL: a write to "X_Mixed" leaves reads of the different table x_mixed cached', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const cache = newCache()
    const q = cachedQuery(pool, { cache })
    const lower = `select v from ${table}_X_MIXED`
    expect((await q.query(lower)).rows).toEqual([{ v: 100 }])
    await q.query(`update "${table}_X_Mixed" set v = 4`)
    expect((await q.query(lower)).rows).toEqual([{ v: 100 }])
    expect(cache.stats().namespaces.query!.hits).toBe(1)
    await q.query(`update ${table}_X_MIXED set v = 101`)
    expect((await q.query(lower)).rows).toEqual([{ v: 101 }])
  })

  it('SQLite: a write to "USERS" invalidates reads of users (one table, whatever the case)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-qname-'))
    try {
      const db = new Database(join(dir, 'app.db'))
      db.exec("create table Users (id integer primary key, name text); insert into Users values (1, 'ada')")
      const q = cachedQuery(db, { cache: newCache() })
      const read = 'select name from users where id = 1'
      expect((await q.query(read)).rows).toEqual([{ name: 'ada' }])
      await q.query(`update "USERS" set name = 'grace' where id = 1`)
      expect((await q.query(read)).rows).toEqual([{ name: 'grace' }])
      db.prepare("update users set name = 'edsger'").run()
      await q.invalidate(['"Users"'])
      expect((await q.query(read)).rows).toEqual([{ name: 'edsger' }])
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("every call form of pg's query", () => {
  const pgdb = postgresTable('cs_qcall', (table) => [
    `create table ${table} (id int primary key, name text)`,
    `insert into ${table} values (1, 'a'), (2, 'b')`,
  ])
  const { table } = pgdb
  const sel = () => `select id, name from ${table} where id = $1`

  it('{ text, values } is cached like (text, values); values after a config replace its own', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const cache = newCache()
    const q = cachedQuery(pool, { cache })
    expect((await q.query({ text: sel(), values: [1] })).rows).toEqual([{ id: 1, name: 'a' }])
    expect((await q.query(sel(), [1])).rows).toEqual([{ id: 1, name: 'a' }])
    expect((await q.query({ text: sel(), values: [1] }, [2])).rows).toEqual([{ id: 2, name: 'b' }])
    expect((await q.query({ text: sel(), values: [2] }, { ttl: '5s' })).rows).toEqual([{ id: 2, name: 'b' }])
    expect(cache.stats().namespaces.query).toMatchObject({ hits: 2, misses: 2 })
    const named = await q.query({ name: `${table}_by_id`, text: sel(), values: [2] }, { cache: false })
    expect(named).toMatchObject({ rows: [{ id: 2, name: 'b' }], rowCount: 1, command: 'SELECT' })
    expect(named.fields?.map((f) => f.name)).toEqual(['id', 'name'])
  })

  it("rowMode 'array' returns arrays, cached apart from the object rows", async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    expect((await q.query(sel(), [1])).rows).toEqual([{ id: 1, name: 'a' }])
    const arrays = await q.query({ text: sel(), values: [1], rowMode: 'array' })
    expect(arrays.rows).toEqual([[1, 'a']])
    expect(arrays.fields?.map((f) => f.name)).toEqual(['id', 'name'])
    expect((await q.query({ text: sel(), values: [1], rowMode: 'array' })).rows).toEqual([[1, 'a']])
    expect((await q.query(sel(), [1])).rows).toEqual([{ id: 1, name: 'a' }])
  })

  it('custom types parsers are used and never cached', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    const types = { getTypeParser: () => (value: string) => `<${value}>` }
    expect((await q.query({ text: sel(), values: [1], types })).rows).toEqual([{ id: '<1>', name: '<a>' }])
    expect((await q.query(sel(), [1])).rows).toEqual([{ id: 1, name: 'a' }])
  })

  it('callbacks: (text, cb), (text, values, cb), (config, cb), and errors reach the callback', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    const call = (...args: unknown[]) =>
      new Promise<QueryResult<unknown>>((resolve, reject) => {
        const back = q.query as unknown as (...a: unknown[]) => unknown
        const returned = back(...args, (error: Error | null, result?: QueryResult<unknown>) =>
          error ? reject(error) : resolve(result!),
        )
        expect(returned).toBeUndefined()
      })
    expect((await call(`select name from ${table} where id = 1`)).rows).toEqual([{ name: 'a' }])
    expect((await call(sel(), [2])).rows).toEqual([{ id: 2, name: 'b' }])
    expect((await call({ text: sel(), values: [1] })).rows).toEqual([{ id: 1, name: 'a' }])
    await expect(call('select * from no_such_table_here')).rejects.toThrow(/no_such_table_here/)
    const viaField = await new Promise<QueryResult<unknown>>((resolve, reject) => {
      const callback = (error: Error | null, result?: QueryResult<unknown>) =>
        error ? reject(error) : resolve(result!)
      expect(q.query({ text: sel(), values: [2], callback } as never)).toBeUndefined()
    })
    expect(viaField.rows).toEqual([{ id: 2, name: 'b' }])
  })

  it('a submittable (pg.Query) goes to pg uncached; a write through one invalidates when it ends', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const client = await pool.connect()
    try {
      const q = cachedQuery(client, { cache: newCache() })
      const read = `select name from ${table} where id = 1`
      expect((await q.query(read)).rows).toEqual([{ name: 'a' }])
      const update = new pg.Query(`update ${table} set name = 'z' where id = 1`)
      expect(q.query(update)).toBe(update)
      await new Promise((resolve, reject) => update.on('end', resolve).on('error', reject))
      expect((await q.query(read)).rows).toEqual([{ name: 'z' }])
    } finally {
      client.release()
    }
  })

  it('arguments pg would not take are refused with ERR_CACHE_INVALID_OPTION', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    const bad = q.query as unknown as (...a: unknown[]) => unknown
    for (const args of [[42], [{ values: [1] }], [{ text: sel(), values: 'x' }], [sel(), {}, [1]], [sel(), 7]]) {
      let error: unknown
      try {
        await bad(...args)
      } catch (e) {
        error = e
      }
      expect(isCacheError(error, 'ERR_CACHE_INVALID_OPTION'), JSON.stringify(args)).toBe(true)
    }
  })

  it('SQLite takes the config form and rowMode too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-qcall-'))
    try {
      const db = new Database(join(dir, 'app.db'))
      db.exec("create table t (id integer primary key, name text); insert into t values (1, 'a')")
      const q = cachedQuery(db, { cache: newCache() })
      const text = 'select id, name from t where id = ?'
      expect((await q.query({ text, values: [1] })).rows).toEqual([{ id: 1, name: 'a' }])
      const arrays = await q.query({ text, values: [1], rowMode: 'array' })
      expect(arrays.rows).toEqual([[1, 'a']])
      expect(arrays.fields).toEqual([{ name: 'id' }, { name: 'name' }])
      expect((await q.query({ text, values: [1] })).rows).toEqual([{ id: 1, name: 'a' }])
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
