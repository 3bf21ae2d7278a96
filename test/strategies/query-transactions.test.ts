// Query caching inside transactions (issue 19, finding 1): reads in a
// transaction never fill the shared cache; writes in it invalidate at COMMIT,
// not before, and not at all on ROLLBACK. Against the test PostgreSQL and a
// real SQLite file with two connections.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createCache, isCacheError, memoryStore } from '../../src/index.js'
import { cachedQuery } from '../../src/strategies.js'
import { pausedStore } from '../helpers/paused-store.js'
import { postgresTable } from '../helpers/postgres.js'

const newCache = () => createCache({ tiers: [memoryStore()] })
const readsOf = (cache: ReturnType<typeof newCache>) => {
  const s = cache.stats().namespaces.query
  return { hits: s?.hits ?? 0, misses: s?.misses ?? 0 }
}

describe('query caching in PostgreSQL transactions', () => {
  const pgdb = postgresTable('cs_qtx', (table) => [
    `create table ${table} (id int primary key, v int)`,
    `insert into ${table} values (1, 21)`,
  ])
  const { table } = pgdb
  const reset = () => pgdb.pool!.query(`update ${table} set v = 21 where id = 1`)
  const sel = `select v from ${table} where id = 1`

  it('a read after RELEASE SAVEPOINT is still in the transaction: its uncommitted rows are never served after ROLLBACK', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    await reset()
    const cache = newCache()
    const client = await pool.connect()
    try {
      const inTx = cachedQuery(client, { cache })
      const shared = cachedQuery(pool, { cache })
      await inTx.query('begin')
      await inTx.query(`update ${table} set v = 999 where id = 1`)
      await inTx.query('savepoint s1')
      await inTx.query('release savepoint s1')
      expect((await inTx.query(sel)).rows).toEqual([{ v: 999 }])
      await inTx.query('savepoint s2')
      await inTx.query('rollback to savepoint s2')
      expect((await inTx.query(sel)).rows).toEqual([{ v: 999 }])
      await inTx.query('rollback')
      expect((await shared.query(sel)).rows).toEqual([{ v: 21 }])
      expect((await inTx.query(sel)).rows).toEqual([{ v: 21 }])
    } finally {
      client.release()
    }
  })

  it('a write in a transaction invalidates at COMMIT, not before; a ROLLBACK invalidates nothing', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    await reset()
    const cache = newCache()
    const shared = cachedQuery(pool, { cache })
    const client = await pool.connect()
    try {
      const inTx = cachedQuery(client, { cache })
      expect((await shared.query(sel)).rows).toEqual([{ v: 21 }])
      await inTx.query('begin')
      await inTx.query(`update ${table} set v = 22 where id = 1`)
      // Other connections still see 21: the cached read is still right, and still served.
      expect((await shared.query(sel)).rows).toEqual([{ v: 21 }])
      expect(readsOf(cache)).toEqual({ hits: 1, misses: 1 })
      await inTx.query('rollback')
      expect((await shared.query(sel)).rows).toEqual([{ v: 21 }])
      expect(readsOf(cache)).toEqual({ hits: 2, misses: 1 })

      await inTx.query('start transaction isolation level read committed')
      await inTx.query(`update ${table} set v = 23 where id = 1`)
      expect((await shared.query(sel)).rows).toEqual([{ v: 21 }])
      await inTx.query('commit')
      expect((await shared.query(sel)).rows).toEqual([{ v: 23 }])
      expect(readsOf(cache)).toEqual({ hits: 3, misses: 2 })
    } finally {
      client.release()
    }
  })

  it('COMMIT AND CHAIN invalidates and keeps the next transaction uncached; a COMMIT sent around the wrapper is noticed', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    await reset()
    const cache = newCache()
    const shared = cachedQuery(pool, { cache })
    const client = await pool.connect()
    try {
      const inTx = cachedQuery(client, { cache })
      await shared.query(sel)
      await inTx.query('begin')
      await inTx.query(`update ${table} set v = 30 where id = 1`)
      await inTx.query('commit and chain')
      expect((await shared.query(sel)).rows).toEqual([{ v: 30 }])
      await inTx.query(`update ${table} set v = 31 where id = 1`)
      expect((await inTx.query(sel)).rows).toEqual([{ v: 31 }])
      // Committed straight on the client: pg reports the transaction over, and the wrapper's next statement invalidates.
      await client.query('commit')
      await inTx.query('select 1')
      expect((await shared.query(sel)).rows).toEqual([{ v: 31 }])
    } finally {
      client.release()
    }
  })

  it('transaction(fn) on a Pool: one client, committed writes invalidate, a throw rolls back and the client goes back', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    await reset()
    const cache = newCache()
    const q = cachedQuery(pool, { cache })
    expect((await q.query(sel)).rows).toEqual([{ v: 21 }])
    const seen = await q.transaction(async (tx) => {
      await tx.query(`update ${table} set v = v + 1 where id = 1`)
      const inside = (await tx.query<{ v: number }>(sel)).rows[0]!.v
      expect((await q.query(sel)).rows).toEqual([{ v: 21 }])
      return inside
    })
    expect(seen).toBe(22)
    expect((await q.query(sel)).rows).toEqual([{ v: 22 }])
    const failure = new Error('changed my mind')
    await expect(
      q.transaction(async (tx) => {
        await tx.query(`update ${table} set v = 500 where id = 1`)
        throw failure
      }),
    ).rejects.toBe(failure)
    expect((await q.query(sel)).rows).toEqual([{ v: 22 }])
    expect((await pool.query(sel)).rows).toEqual([{ v: 22 }])
    expect(pool.totalCount - pool.idleCount).toBe(0)
  })

  it('nested transaction(fn) on a client uses a savepoint', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    await reset()
    const client = await pool.connect()
    try {
      const q = cachedQuery(client, { cache: newCache() })
      await q.transaction(async (tx) => {
        await tx.query(`update ${table} set v = 40 where id = 1`)
        await expect(
          tx.transaction(async (inner) => {
            await inner.query(`update ${table} set v = 41 where id = 1`)
            throw new Error('inner fails')
          }),
        ).rejects.toThrow('inner fails')
        expect((await tx.query(sel)).rows).toEqual([{ v: 40 }])
      })
      expect((await pool.query(sel)).rows).toEqual([{ v: 40 }])
    } finally {
      client.release()
    }
  })

  it('BEGIN through a Pool is refused with ERR_CACHE_QUERY_POOL_TRANSACTION', async (ctx) => {
    const pool = pgdb.pool
    if (pool === undefined) return ctx.skip()
    const q = cachedQuery(pool, { cache: newCache() })
    for (const sql of ['begin', 'START TRANSACTION', 'savepoint a', 'commit']) {
      const error = await q.query(sql).catch((e: unknown) => e)
      expect(isCacheError(error, 'ERR_CACHE_QUERY_POOL_TRANSACTION')).toBe(true)
    }
    expect(pool.totalCount - pool.idleCount).toBe(0)
  })
})

describe('query caching in SQLite transactions (a file, two connections)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cs-qtx-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  let n = 0
  const open = () => {
    const path = join(dir, `app-${++n}.db`)
    const a = new Database(path)
    a.pragma('journal_mode = wal')
    a.exec('create table t (id integer primary key, v int); insert into t values (1, 21)')
    const b = new Database(path)
    const cache = newCache()
    return { a, b, cache, qa: cachedQuery(a, { cache }), qb: cachedQuery(b, { cache }) }
  }
  const sel = 'select v from t where id = 1'

  it('a write in BEGIN … COMMIT invalidates at COMMIT, not before; ROLLBACK invalidates nothing', async () => {
    const { a, b, cache, qa, qb } = open()
    expect((await qb.query(sel)).rows).toEqual([{ v: 21 }])
    await qa.query('begin')
    await qa.query('update t set v = 22 where id = 1')
    expect((await qa.query(sel)).rows).toEqual([{ v: 22 }])
    expect((await qb.query(sel)).rows).toEqual([{ v: 21 }])
    expect(readsOf(cache)).toEqual({ hits: 1, misses: 1 })
    await qa.query('rollback')
    expect((await qb.query(sel)).rows).toEqual([{ v: 21 }])
    expect(readsOf(cache)).toEqual({ hits: 2, misses: 1 })
    await qa.query('begin immediate')
    await qa.query('update t set v = 23 where id = 1')
    await qa.query('savepoint s')
    await qa.query('release s')
    expect((await qa.query(sel)).rows).toEqual([{ v: 23 }])
    await qa.query('end transaction')
    expect((await qb.query(sel)).rows).toEqual([{ v: 23 }])
    a.close()
    b.close()
  })

  it('a SAVEPOINT outside a transaction opens one, and its RELEASE commits and invalidates', async () => {
    const { a, b, qa, qb } = open()
    await qb.query(sel)
    await qa.query('savepoint outer')
    await qa.query('update t set v = 50 where id = 1')
    await qa.query('savepoint inner')
    await qa.query('rollback to inner')
    expect((await qa.query(sel)).rows).toEqual([{ v: 50 }])
    expect((await qb.query(sel)).rows).toEqual([{ v: 21 }])
    await qa.query('release outer')
    expect(a.inTransaction).toBe(false)
    expect((await qb.query(sel)).rows).toEqual([{ v: 50 }])
    a.close()
    b.close()
  })

  it('queries inside db.transaction(fn): reads not cached, writes invalidate once it committed', async () => {
    const { a, b, qa, qb } = open()
    await qb.query(sel)
    let inside: Promise<unknown> | undefined
    let write: Promise<unknown> | undefined
    a.transaction(() => {
      write = qa.query('update t set v = 60 where id = 1')
      inside = qa.query(sel)
    })()
    await write
    expect(await inside).toMatchObject({ rows: [{ v: 60 }] })
    expect((await qb.query(sel)).rows).toEqual([{ v: 60 }])
    expect((await qa.query(sel)).rows).toEqual([{ v: 60 }])
    a.close()
    b.close()
  })

  it('a read whose load starts after the connection entered a transaction is answered, not stored', async () => {
    const path = join(dir, 'paused.db')
    const db = new Database(path)
    db.exec('create table t (id integer primary key, v int); insert into t values (1, 21)')
    const l2 = pausedStore(memoryStore())
    const cache = createCache({ tiers: [memoryStore(), l2.store] })
    const q = cachedQuery(db, { cache })
    // Between the read's L2 miss and its load, another request on the same connection opens a transaction and writes.
    l2.after(async () => {
      await q.query('begin')
      await q.query('update t set v = 999 where id = 1')
    })
    expect((await q.query(sel)).rows).toEqual([{ v: 999 }])
    await q.query('rollback')
    expect((await q.query(sel)).rows).toEqual([{ v: 21 }])
    db.close()
  })

  it('transaction(fn) on a Database: commit invalidates, a throw rolls back', async () => {
    const { a, b, qa, qb } = open()
    await qb.query(sel)
    await qa.transaction(async (tx) => {
      await tx.query('update t set v = 70 where id = 1')
    })
    expect((await qb.query(sel)).rows).toEqual([{ v: 70 }])
    await expect(
      qa.transaction(async (tx) => {
        await tx.query('update t set v = 71 where id = 1')
        throw new Error('no')
      }),
    ).rejects.toThrow('no')
    expect(a.inTransaction).toBe(false)
    expect((await qb.query(sel)).rows).toEqual([{ v: 70 }])
    a.close()
    b.close()
  })
})
