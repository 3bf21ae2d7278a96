/**
 * Every caching strategy of `cachestack/strategies`, runnable on a real SQLite
 * database in a temporary folder (no server needed), each printing what it
 * proves from the run:
 *
 *   npx tsx examples/strategies.ts
 *
 * Cache-aside, read-through with a batch loader, write-through, write-behind
 * with a durable journal, refresh-ahead, scheduled precompute, memoize, the
 * `@cached` decorator and query caching. The database counts its statements so
 * each line can show what the cache saved.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createCache, memoryStore } from '../src/index.js'
import {
  cached,
  cachedQuery,
  memoize,
  refreshAhead,
  schedule,
  sqliteJournal,
  writeBehind,
} from '../src/strategies/index.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const line = (label: string, value: string | number) => console.log(`  ${label.padEnd(58)} ${value}`)

// A real SQLite database with users and a stock table, counting the statements it runs.
const dir = mkdtempSync(join(tmpdir(), 'cachestack-strategies-'))
const db = new Database(join(dir, 'app.db'))
db.pragma('journal_mode = WAL')
db.exec(`
  create table users (id integer primary key, name text not null);
  create table stock (sku text primary key, qty integer not null);
  insert into users (id, name) select value, 'user ' || value from json_each('[1,2,3,4,5,6,7,8,9,10]');
`)
let statements = 0
const counted = <A extends unknown[], R>(fn: (...args: A) => R) => {
  return (...args: A): R => {
    statements++
    return fn(...args)
  }
}
type User = { id: number; name: string }
const findUser = counted((id: number) => db.prepare('select id, name from users where id = ?').get(id) as User)
const findUsers = counted(
  (ids: number[]) =>
    db.prepare(`select id, name from users where id in (${ids.map(() => '?').join(',')})`).all(...ids) as User[],
)
const saveUser = counted((id: number, u: User) => {
  db.prepare('update users set name = ? where id = ?').run(u.name, id)
})

const cache = createCache({ tiers: [memoryStore({ maxEntries: 10_000 })], ttl: '5m' })

console.log('\ncachestack strategies, on a SQLite database in', dir, '\n')

// 1. Cache-aside: getOrSet.
statements = 0
for (let i = 0; i < 100; i++) await cache.getOrSet('user:1', () => findUser(1))
line('cache-aside: 100 reads of one user, database statements', statements)

// 2. Read-through with a batch loader: all misses of getMany in one statement.
statements = 0
const users = cache.namespace<User, number>('users', {
  load: (id) => findUser(id),
  loadMany: (ids) => {
    const rows = findUsers(ids)
    return new Map(rows.map((u) => [u.id, u]))
  },
  save: (id, u) => saveUser(id, u),
})
const team = await users.getMany([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
await users.getMany([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
line('read-through: getMany of 10 users twice, database statements', statements)

// 3. Write-through: the database first, then the cache; concurrent writes of one id in call order.
statements = 0
await Promise.all(['Ada', 'Grace', 'Barbara'].map((name) => users.write(1, { ...team[0]!, name })))
const inDb = (db.prepare('select name from users where id = 1').get() as { name: string }).name
line('write-through: 3 concurrent writes, cache == database', `${(await users.get(1))?.name} == ${inDb}`)

// 4. Write-behind: acknowledged once journaled, flushed in batches, coalesced per key.
const upsert = db.prepare(
  'insert into stock (sku, qty) values (?, ?) on conflict(sku) do update set qty = excluded.qty',
)
let flushes = 0
const stock = writeBehind<number>({
  cache: cache.namespace('stock'),
  flush: db.transaction((batch: { key: string; op: 'set' | 'delete'; value?: number }[]) => {
    flushes++
    for (const e of batch) if (e.op === 'set') upsert.run(e.key, e.value)
  }),
  maxDelay: '50ms',
  journal: sqliteJournal({ path: join(dir, 'journal.db') }),
})
const writes: Promise<void>[] = []
for (let i = 1; i <= 1_000; i++) writes.push(stock.write(`sku-${i % 10}`, i))
await Promise.all(writes)
await stock.close()
const rows = db.prepare('select count(*) as n, sum(qty) as total from stock').get() as { n: number; total: number }
line('write-behind: 1,000 writes of 10 keys acknowledged, flushes', flushes)
line('write-behind: rows in the database (each key its last value)', `${rows.n} rows, qty sum ${rows.total}`)

// 5. Refresh-ahead: a read past half the TTL returns at once and reloads behind it.
let rateLoads = 0
const rates = refreshAhead(
  cache.namespace('fx'),
  async (_pair: string) => {
    rateLoads++
    return 1 + rateLoads / 100
  },
  { ttl: 1_000, ratio: 0.5 },
)
const first = await rates.get('EUR/USD')
await sleep(600)
const served = await rates.get('EUR/USD')
await sleep(50)
const after = await rates.get('EUR/USD')
line('refresh-ahead: read at 60 % of the TTL served, then reloaded', `${first} → ${served} → ${after}`)

// 6. Scheduled precompute: a report computed on a timer, read from the cache.
let runs = 0
const report = schedule(cache, 'report:daily', async () => ({ run: ++runs, users: findUsers([1, 2, 3]).length }), {
  every: '100ms',
})
await sleep(250)
const got = await report.get()
report.stop()
line('schedule: runs in 250 ms (every 100 ms), last report', `${runs}, ${JSON.stringify(got)}`)

// 7. Memoize: a sync function stays sync; the decorator caches a method.
let slugCalls = 0
const slug = memoize((title: string) => {
  slugCalls++
  return title.toLowerCase().replace(/\W+/g, '-')
})
for (let i = 0; i < 1_000; i++) slug('Hello, World')
line('memoize: 1,000 calls, function ran', `${slugCalls} time(s), "${slug('Hello, World')}"`)

class Directory {
  calls = 0
  @cached({ ttl: '1m' })
  async name(id: number): Promise<string> {
    this.calls++
    return findUser(id).name
  }
}
const directory = new Directory()
await Promise.all([directory.name(2), directory.name(2), directory.name(2)])
line('@cached: 3 concurrent calls of a method, method ran', `${directory.calls} time(s)`)

// 8. Query caching: reads cached by SQL and parameters, tagged by table; writes invalidate.
// ran() counts, inside SQLite itself, each time the read below really runs.
statements = 0
db.function('ran', () => {
  statements++
  return 1
})
const q = cachedQuery(db, { cache })
const read = async () =>
  ((await q.query('select qty, ran() from stock where sku = ?', ['sku-1'])).rows[0] as { qty: number }).qty
const seen = [await read(), await read(), await read()]
await q.query('update stock set qty = qty + 1000 where sku = ?', ['sku-1'])
seen.push(await read())
line('query caching: 3 reads, a write, a read: qty seen', seen.join(' → '))
line('query caching: SELECTs run by the database', `${statements} of 4`)

await cache.close()
db.close()
rmSync(dir, { recursive: true, force: true })
console.log('\ndone\n')
