/**
 * Questions:
 * 1. On a hot-key write workload, how many writes per second does write-behind
 *    acknowledge, against write-through to the same real table (SQLite file,
 *    PostgreSQL), and how many database statements does each issue?
 * 2. How fast is a memoized call on a hit, against p-memoize, memoizee and
 *    lodash.memoize, measured side by side in the same run?
 *
 * Workload 1: 32 concurrent writers (as a busy server's requests would be)
 * write 20,000 values over 50 hot keys. Write-through saves each write with
 * one upsert, then caches it (`users.write`). Write-behind acknowledges once
 * the write is in its SQLite journal (group-committed) and the cache, and
 * flushes coalesced batches with one multi-row upsert. "acked" is the rate
 * callers see; "in db" includes the final flush (`close()`), so it counts the
 * whole path to the database.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import lodashMemoize from 'lodash.memoize'
import memoizee from 'memoizee'
import pMemoize from 'p-memoize'
import pg from 'pg'
import { createCache, memoryStore } from '../src/index.js'
import { memoize, sqliteJournal, type WriteBehindEntry, writeBehind } from '../src/strategies.js'
import { compare, machineLine, median, printTable, printTarget, rate } from './lib/harness.js'
import { DATABASE_URL } from './lib/servers.js'

console.log(`${machineLine()}\n`)

const WRITES = 20_000
const KEYS = 50
const WRITERS = 32
const ROUNDS = 5
const dir = mkdtempSync(join(tmpdir(), 'cs-bench-strategies-'))

/** A database as the bench sees it: one upsert, one multi-row upsert, and a statement counter. */
interface Target {
  name: string
  statements: number
  upsert(key: string, value: number): Promise<void> | void
  upsertMany(entries: WriteBehindEntry<number>[]): Promise<void> | void
  read(key: string): Promise<number>
  reset(): Promise<void> | void
  close(): Promise<void> | void
}

function sqliteTarget(): Target {
  const db = new Database(join(dir, 'app.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('create table if not exists kv (key text primary key, value integer not null)')
  const one = db.prepare(
    'insert into kv (key, value) values (?, ?) on conflict(key) do update set value = excluded.value',
  )
  const many = new Map<number, Database.Statement>()
  const t: Target = {
    name: 'SQLite',
    statements: 0,
    upsert(key, value) {
      t.statements++
      one.run(key, value)
    },
    upsertMany(entries) {
      let stmt = many.get(entries.length)
      if (stmt === undefined) {
        stmt = db.prepare(
          `insert into kv (key, value) values ${entries.map(() => '(?, ?)').join(', ')} on conflict(key) do update set value = excluded.value`,
        )
        many.set(entries.length, stmt)
      }
      t.statements++
      stmt.run(...entries.flatMap((e) => [e.key, e.value]))
    },
    read: async (key) =>
      (db.prepare('select value from kv where key = ?').get(key) as { value: number } | undefined)?.value ?? -1,
    reset() {
      db.exec('delete from kv')
      t.statements = 0
    },
    close() {
      db.close()
    },
  }
  return t
}

async function pgTarget(): Promise<Target | undefined> {
  if (!DATABASE_URL) return undefined
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
  const table = `cs_bench_wb_${process.pid}`
  try {
    await pool.query(`create table ${table} (key text primary key, value integer not null)`)
  } catch (error) {
    await pool.end()
    console.log(`(PostgreSQL at ${DATABASE_URL} unreachable, skipped: ${String(error)})`)
    return undefined
  }
  const t: Target = {
    name: 'PostgreSQL',
    statements: 0,
    async upsert(key, value) {
      t.statements++
      await pool.query(
        `insert into ${table} (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value`,
        [key, value],
      )
    },
    async upsertMany(entries) {
      t.statements++
      await pool.query(
        `insert into ${table} (key, value) select * from unnest($1::text[], $2::int[]) on conflict (key) do update set value = excluded.value`,
        [entries.map((e) => e.key), entries.map((e) => e.value)],
      )
    },
    read: async (key) => (await pool.query(`select value from ${table} where key = $1`, [key])).rows[0]?.value ?? -1,
    async reset() {
      await pool.query(`delete from ${table}`)
      t.statements = 0
    },
    async close() {
      await pool.query(`drop table if exists ${table}`)
      await pool.end()
    },
  }
  return t
}

/** Runs the hot-key workload through `write`; resolves the seconds it took. */
async function workload(write: (key: string, value: number) => Promise<void>): Promise<number> {
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (;;) {
        const i = next++
        if (i >= WRITES) return
        await write(`k${i % KEYS}`, i)
      }
    }),
  )
  return (performance.now() - t0) / 1000
}

async function writeBench(target: Target): Promise<{ behind: number; through: number; fewer: number }> {
  const through: number[] = []
  const acked: number[] = []
  const inDb: number[] = []
  let throughStatements = 0
  let behindStatements = 0
  // Rounds -2 to 0 warm the JIT and the files up and are not counted (a server runs warm).
  for (let r = -2; r <= ROUNDS; r++) {
    await target.reset()
    const cache = createCache({ tiers: [memoryStore()] })
    const users = cache.namespace('kv', {
      load: (key: string) => target.read(key),
      save: (key: string, value: number) => target.upsert(key, value),
    })
    const throughRate = WRITES / (await workload((k, v) => users.write(k, v)))
    if (r > 0) through.push(throughRate)
    throughStatements = target.statements

    await target.reset()
    const wbCache = createCache({ tiers: [memoryStore()] })
    const wb = writeBehind<number>({
      cache: wbCache,
      flush: (batch) => target.upsertMany(batch),
      maxBatch: 500,
      maxDelay: '50ms',
      // One long-lived journal file, as a server keeps (empty again after each round's close()).
      journal: sqliteJournal({ path: join(dir, `journal-${target.name}.db`) }),
    })
    await wb.ready
    const t0 = performance.now()
    const ackSeconds = await workload((k, v) => wb.write(k, v))
    await wb.close()
    const totalSeconds = (performance.now() - t0) / 1000
    if (r > 0) {
      acked.push(WRITES / ackSeconds)
      inDb.push(WRITES / totalSeconds)
    }
    behindStatements = target.statements
    // Check: the database holds each key's last value.
    for (let k = 0; k < KEYS; k++) {
      const last = k + KEYS * Math.floor((WRITES - 1 - k) / KEYS)
      const got = await target.read(`k${k}`)
      if (got !== last) throw new Error(`${target.name}: k${k} is ${got}, expected ${last}`)
    }
  }
  const results = [
    {
      name: 'write-through (save, then cache)',
      opsPerSec: median(through),
      rounds: through,
      extra: { 'db statements': throughStatements },
    },
    {
      name: 'write-behind, acked',
      opsPerSec: median(acked),
      rounds: acked,
      extra: { 'db statements': behindStatements },
    },
    {
      name: 'write-behind, in db (incl. final flush)',
      opsPerSec: median(inDb),
      rounds: inDb,
      extra: { 'db statements': behindStatements },
    },
  ]
  const ratios = printTable(
    `${target.name}: ${WRITES} writes over ${KEYS} hot keys, ${WRITERS} concurrent writers (writes/s)`,
    results,
    'write-through (save, then cache)',
  )
  const fewer = 1 - behindStatements / throughStatements
  return { behind: ratios['write-behind, acked']!, through: 1, fewer }
}

const part = process.env.PART // 'write' or 'memoize' to run one half
const targets: Target[] = part === 'memoize' ? [] : [sqliteTarget()]
const pgT = part === 'memoize' ? undefined : await pgTarget()
if (pgT !== undefined) targets.push(pgT)
const writeSummary: string[] = []
for (const target of targets) {
  const { behind, fewer } = await writeBench(target)
  printTarget(`${target.name}: write-behind ≥ 10× write-through writes/s`, behind, 10)
  const ok = fewer >= 0.9
  console.log(
    `- target ${target.name}: ≥ 90% fewer database statements: ${(fewer * 100).toFixed(1)}% fewer ${ok ? 'MET' : 'NOT MET'}`,
  )
  writeSummary.push(`${target.name} ${behind.toFixed(1)}×, ${(fewer * 100).toFixed(1)}% fewer statements`)
  await target.close()
}
rmSync(dir, { recursive: true, force: true })

// 2. memoize on a hit.
const ids = Array.from({ length: 100 }, (_, i) => i)
const slugs = ids.map((i) => `product-${i}`)
const double = (n: number) => n * 2
const length = (s: string) => s.length

const oursNum = memoize(double)
const lodashNum = lodashMemoize(double)
const memoizeeNum = memoizee(double, { primitive: true })
const oursStr = memoize(length)
const lodashStr = lodashMemoize(length)
const memoizeeStr = memoizee(length, { primitive: true })
const asyncDouble = async (n: number) => n * 2
const oursAsync = memoize(asyncDouble)
const pMemo = pMemoize(asyncDouble)
const memoizeeAsync = memoizee(asyncDouble, { promise: true, primitive: true })
for (const i of ids) {
  oursNum(i)
  lodashNum(i)
  memoizeeNum(i)
  await oursAsync(i)
  await pMemo(i)
  await memoizeeAsync(i)
}
for (const s of slugs) {
  oursStr(s)
  lodashStr(s)
  memoizeeStr(s)
}
const opts = { ops: 1_000_000, rounds: 9 }
const num = await compare(
  [
    ['cachestack memoize', (i) => oursNum(ids[i % 100]!)],
    ['lodash.memoize', (i) => lodashNum(ids[i % 100]!)],
    ['memoizee (primitive)', (i) => memoizeeNum(ids[i % 100]!)],
  ],
  opts,
)
const numRatios = printTable('memoize hit, sync function of one number (100 keys cycling)', num, 'cachestack memoize')
const str = await compare(
  [
    ['cachestack memoize', (i) => oursStr(slugs[i % 100]!)],
    ['lodash.memoize', (i) => lodashStr(slugs[i % 100]!)],
    ['memoizee (primitive)', (i) => memoizeeStr(slugs[i % 100]!)],
  ],
  opts,
)
const strRatios = printTable('memoize hit, sync function of one string (100 keys cycling)', str, 'cachestack memoize')
const asy = await compare(
  [
    ['cachestack memoize', (i) => oursAsync(ids[i % 100]!)],
    ['p-memoize', (i) => pMemo(ids[i % 100]!)],
    ['memoizee (promise)', (i) => memoizeeAsync(ids[i % 100]!)],
  ],
  { ops: 200_000, rounds: 9 },
)
const asyRatios = printTable('memoize hit, async function of one number (awaited)', asy, 'cachestack memoize')

const vsFastest = (ratios: Record<string, number>) =>
  1 /
  Math.max(
    ...Object.entries(ratios)
      .filter(([n]) => n !== 'cachestack memoize')
      .map(([, r]) => r),
  )
console.log()
printTarget('memoize hit (number) ≥ 1× the fastest peer', vsFastest(numRatios), 1)
printTarget('memoize hit (string) ≥ 1× the fastest peer', vsFastest(strRatios), 1)
printTarget('memoize hit (async) ≥ 1× the fastest peer', vsFastest(asyRatios), 1)
console.log(`\nwrite-behind vs write-through: ${writeSummary.join('; ')}`)
console.log(
  `memoize medians: ${rate(num[0]!.opsPerSec)} (number), ${rate(str[0]!.opsPerSec)} (string), ${rate(asy[0]!.opsPerSec)} (async)`,
)
