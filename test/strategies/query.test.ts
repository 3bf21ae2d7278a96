import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { cachedQuery, describeStatement } from '../../src/strategies.js'
import { postgresTable } from '../helpers/postgres.js'

const newCache = () => createCache({ tiers: [memoryStore()] })

describe('describeStatement', () => {
  it.each([
    ['select * from users where id = $1', 'read', ['users']],
    ['SELECT u.name FROM public."Users" u JOIN orders o ON o.uid = u.id', 'read', ['Users', 'orders']],
    ['select * from a, b as bb, c where a.x in (select y from d)', 'read', ['a', 'b', 'c', 'd']],
    ["select 'from nowhere' as s from t -- from comment", 'read', ['t']],
    ['with x as (select * from t1) select * from x', 'read', ['t1', 'x']],
    ['select 1', 'read', undefined],
    ['table products', 'read', ['products']],
    ['insert into users (name) values ($1)', 'write', ['users']],
    ['insert into kv (k, v) values (?, ?) on conflict (k) do update set v = excluded.v', 'write', ['kv']],
    ['INSERT OR REPLACE INTO cache_t VALUES (?)', 'write', ['cache_t']],
    ['update public.users set name = $1', 'write', ['users']],
    ['delete from orders where id = $1', 'write', ['orders']],
    ['truncate table a, b', 'write', ['a', 'b']],
    ['with moved as (delete from a returning *) insert into b select * from moved', 'write', ['a', 'b']],
    ['alter table users add column x int', 'write', undefined],
    ['select * from jobs for update skip locked', 'read', ['jobs']],
    ['BEGIN', 'transaction', undefined],
    ['commit', 'transaction', undefined],
    ['begin; update a set x = 1; update b set y = 2; commit', 'write', ['a', 'b']],
    ['select 1; create table z (x int)', 'write', undefined],
  ])('%s', (sql, kind, tables) => {
    const info = describeStatement(sql)
    expect(info.kind).toBe(kind)
    expect(info.tables === undefined ? undefined : [...info.tables].sort()).toEqual(
      tables === undefined ? undefined : [...tables].sort(),
    )
  })
})

describe('describeStatement: transaction control', () => {
  it.each([
    ['BEGIN', 'begin', false],
    ['begin immediate transaction', 'begin', false],
    ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'begin', false],
    ['commit', 'commit', false],
    ['END', 'commit', false],
    ['commit work and chain', 'commit', true],
    ['commit and no chain', 'commit', false],
    ["prepare transaction 'tx1'", 'commit', false],
    ['rollback', 'rollback', false],
    ['abort', 'rollback', false],
    ['rollback and chain', 'rollback', true],
    ['savepoint s1', 'savepoint', false],
    ['release savepoint s1', 'release', false],
    ['RELEASE s1', 'release', false],
    ['rollback to savepoint s1', 'rollback-to', false],
    ['ROLLBACK TRANSACTION TO s1', 'rollback-to', false],
  ])('%s', (sql, control, chain) => {
    const info = describeStatement(sql)
    expect(info.kind).toBe('transaction')
    expect(info.control).toBe(control)
    expect(info.chain === true).toBe(chain)
  })

  it('COMMIT PREPARED publishes unknown writes', () => {
    expect(describeStatement("commit prepared 'tx1'")).toEqual({ kind: 'write', tables: undefined })
  })
})

describe('cachedQuery with SQLite', () => {
  it('caches reads by SQL and parameters; a write invalidates the tables it touches, and only those', async () => {
    const db = new Database(':memory:')
    db.exec('create table products (id integer primary key, name text, price real)')
    db.exec('create table tags (id integer primary key, name text)')
    db.exec("insert into products values (1, 'pen', 2), (2, 'ink', 5)")
    db.exec("insert into tags values (1, 'office')")
    const cache = newCache()
    const q = cachedQuery(db, { cache })
    const sel = 'select name, price from products where id = ?'
    expect((await q.query(sel, [1])).rows).toEqual([{ name: 'pen', price: 2 }])
    // Changed behind the wrapper's back: the cached rows are served.
    db.prepare('update products set price = 3 where id = 1').run()
    expect((await q.query(sel, [1])).rows).toEqual([{ name: 'pen', price: 2 }])
    expect((await q.query(sel, [2])).rows).toEqual([{ name: 'ink', price: 5 }])
    const tagsRead = await q.query('select name from tags')
    expect(tagsRead.rows).toEqual([{ name: 'office' }])
    const write = await q.query('update products set price = ? where id = ?', [4, 1])
    expect(write.rowCount).toBe(1)
    expect((await q.query(sel, [1])).rows).toEqual([{ name: 'pen', price: 4 }])
    db.prepare("update tags set name = 'home'").run()
    // The tags query was not invalidated by a write to products.
    expect((await q.query('select name from tags')).rows).toEqual([{ name: 'office' }])
    expect(cache.stats().namespaces.query!.hits).toBeGreaterThanOrEqual(2)
    db.close()
  })

  it('reads with unknown tables are invalidated by any write; DDL clears everything', async () => {
    const db = new Database(':memory:')
    db.exec('create table t (x int)')
    db.exec('insert into t values (1)')
    const q = cachedQuery(db, { cache: newCache() })
    const count = 'select (select count(*) from t) + 0 as n'
    expect((await q.query('select 41 + 1 as n')).rows).toEqual([{ n: 42 }])
    expect((await q.query(count)).rows).toEqual([{ n: 1 }])
    await q.query('insert into t values (2)')
    expect((await q.query(count)).rows).toEqual([{ n: 2 }])
    const all = 'select * from t'
    await q.query(all)
    await q.query('alter table t add column y int')
    expect((await q.query(all)).rows).toEqual([
      { x: 1, y: null },
      { x: 2, y: null },
    ])
  })

  it('does not cache inside a transaction; invalidates again when it ends', async () => {
    const db = new Database(':memory:')
    db.exec('create table t (x int)')
    const q = cachedQuery(db, { cache: newCache() })
    await q.query('begin')
    await q.query('insert into t values (1)')
    expect((await q.query('select x from t')).rows).toEqual([{ x: 1 }])
    await q.query('rollback')
    expect((await q.query('select x from t')).rows).toEqual([])
  })

  it('declared tables cover what the parser cannot see (views)', async () => {
    const db = new Database(':memory:')
    db.exec('create table t (x int); create view v as select x from t')
    const q = cachedQuery(db, { cache: newCache() })
    expect((await q.query('select x from v', [], { tables: ['t'] })).rows).toEqual([])
    await q.query('insert into t values (7)')
    expect((await q.query('select x from v', [], { tables: ['t'] })).rows).toEqual([{ x: 7 }])
  })
})

describe('cachedQuery with PostgreSQL', () => {
  const pgdb = postgresTable('cs_q', (table) => [
    `create table ${table} (id int primary key, name text, at timestamptz)`,
    `insert into ${table} values (1, 'a', '2024-01-01T00:00:00Z'), (2, 'b', null)`,
  ])
  const { table } = pgdb

  it('caches reads, keeps Dates, and invalidates on writes through the wrapper', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    let queries = 0
    const counted = {
      totalCount: 0,
      connect: () => pool!.connect(),
      query: (text: string, values?: unknown[]) => {
        queries++
        return pool!.query(text, values)
      },
    }
    const q = cachedQuery(counted, { cache: newCache() })
    const sel = `select id, name, at from ${table} where id = $1`
    const first = await q.query<{ id: number; name: string; at: Date }>(sel, [1])
    expect(first.rows[0]!.at).toEqual(new Date('2024-01-01T00:00:00Z'))
    await Promise.all([q.query(sel, [1]), q.query(sel, [1]), q.query(sel, [1])])
    expect(queries).toBe(1)
    const upd = await q.query(`update ${table} set name = $1 where id = $2`, ['z', 1])
    expect(upd.rowCount).toBe(1)
    expect((await q.query<{ name: string }>(sel, [1])).rows[0]!.name).toBe('z')
    expect(queries).toBe(3)
  })

  it('a pg Client transaction: invalidated again at COMMIT', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const client = await pool.connect()
    const cache = newCache()
    const viaClient = cachedQuery(client, { cache })
    const viaPool = cachedQuery(pool, { cache })
    const sel = `select name from ${table} where id = 2`
    expect((await viaPool.query(sel)).rows).toEqual([{ name: 'b' }])
    await viaClient.query('begin')
    await viaClient.query(`update ${table} set name = 'c' where id = 2`)
    // Another connection reads the committed (old) row and caches it before the commit.
    expect((await viaPool.query(sel)).rows).toEqual([{ name: 'b' }])
    await viaClient.query('commit')
    expect((await viaPool.query(sel)).rows).toEqual([{ name: 'c' }])
    client.release()
  })
})
