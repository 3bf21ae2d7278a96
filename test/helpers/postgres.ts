/** A table of its own in the test PostgreSQL (127.0.0.1:5432, database `test`) for one describe block. */
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'

/**
 * Creates a uniquely named table with `setup(table)` before the block's tests
 * and drops it afterwards. `.pool` stays `undefined` when PostgreSQL cannot be
 * reached: tests skip then, except under CI, where the set-up fails instead.
 */
export function postgresTable(
  prefix: string,
  setup: (table: string) => string[],
  max = 4,
): { readonly table: string; pool: pg.Pool | undefined } {
  const holder = {
    table: `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e6)}`,
    pool: undefined as pg.Pool | undefined,
  }
  beforeAll(async () => {
    const p = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max })
    try {
      for (const sql of setup(holder.table)) await p.query(sql)
      holder.pool = p
    } catch (error) {
      await p.end()
      if (process.env.CI === 'true') throw error
      console.warn(`PostgreSQL at 127.0.0.1:5432 is unreachable; skipping (${String(error)})`)
    }
  })
  afterAll(async () => {
    await holder.pool?.query(`drop table if exists ${holder.table}`)
    await holder.pool?.end()
  })
  return holder
}
