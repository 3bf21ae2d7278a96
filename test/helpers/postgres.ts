/**
 * The test PostgreSQL (CACHESTACK_TEST_DATABASE_URL, database `test`, set by the global setup
 * test/setup/servers.ts), and a table of its own for one describe block.
 * @module
 */
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { postgresUrl, STANDING_PORTS } from '../../scripts/servers/standing.mjs'

/** The shared test PostgreSQL; unset only when its binaries are missing, and then nothing answers here. */
export const DATABASE_URL =
  process.env.CACHESTACK_TEST_DATABASE_URL || process.env.DATABASE_URL || postgresUrl(STANDING_PORTS.postgres)

/** A pool on the test database. */
export function testPool(max = 4): pg.Pool {
  return new pg.Pool({ connectionString: DATABASE_URL, max })
}

/** What a test prints when PostgreSQL does not answer (and throws under CI). */
export function postgresUnreachable(error: unknown): void {
  if (process.env.CI === 'true') throw error
  console.warn(
    `PostgreSQL at ${DATABASE_URL} is unreachable; skipping (run scripts/test-servers.sh install, or set DATABASE_URL): ${String(error)}`,
  )
}

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
    const p = testPool(max)
    try {
      for (const sql of setup(holder.table)) await p.query(sql)
      holder.pool = p
    } catch (error) {
      await p.end()
      postgresUnreachable(error)
    }
  })
  afterAll(async () => {
    await holder.pool?.query(`drop table if exists ${holder.table}`)
    await holder.pool?.end()
  })
  return holder
}
