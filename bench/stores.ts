/**
 * Question: what does each persistent or distributed tier cost per get and per
 * set, at concurrency 1 and 100, against its raw client in the same run?
 *
 * SQLite: cachestack's tier against raw better-sqlite3 prepared statements on
 * the same kind of file (WAL, synchronous=NORMAL), 10,000 keys of a ~200-byte
 * envelope. Rows, from the floor up:
 * - raw get / upsert: a hand-written key-value table, the ceiling;
 * - raw get + decode / upsert + encode: the same plus the envelope, what any cache must do;
 * - sqliteStore: the tier itself (guard, expiry check, triggers keeping the byte total);
 * - cache.get / cache.set over the tier alone: the whole path a miss in memory takes.
 * better-sqlite3 is synchronous, so concurrency 100 only adds the cost of 100
 * interleaved promise chains; it is printed for symmetry with the network stores.
 *
 * Redis and Memcached rows: see the marked section at the bottom of the setup.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createCache, decodeEnvelope, defaultSerializer, type Envelope, encodeEnvelope } from '../src/index.js'
import { SqliteStore, sqliteStore } from '../src/sqlite.js'
import { type AsyncOp, compareConcurrent } from './lib/concurrent.js'
import { machineLine, printTable } from './lib/harness.js'

/** One store's contenders. `baseline` names the raw client's row in each list. */
interface StoreBench {
  title: string
  get: { baseline: string; rows: [string, AsyncOp][]; ops: number }
  set: { baseline: string; rows: [string, AsyncOp][]; ops: number }
  close(): void | Promise<void>
}

const N = 10_000
const keys = Array.from({ length: N }, (_, i) => `product:${i}`)
const value = {
  id: 42,
  name: 'Espresso machine, stainless',
  price: 249.99,
  tags: ['kitchen', 'coffee'],
  stock: { warehouse: 'north', count: 17 },
  updatedAt: new Date('2026-01-01T00:00:00Z'),
}
const now = Date.now()
const env: Envelope = {
  value,
  createdAt: now,
  freshUntil: now + 3_600_000,
  staleUntil: now + 3_600_000,
  tags: undefined,
  tagVersions: undefined,
  loadTime: 0,
}
const bytes = encodeEnvelope(env, defaultSerializer)
// Two versions of the value, alternated per pass over the keys: SQLite skips writing a page whose
// row is rewritten with identical bytes, which would flatter any contender that writes the same value again.
const bytesB = encodeEnvelope({ ...env, createdAt: now + 1 }, defaultSerializer)
const valueAt = (i: number) => (Math.floor(i / N) % 2 === 0 ? bytes : bytesB)

async function sqliteBench(): Promise<StoreBench> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-bench-sqlite-'))
  const raw = new Database(join(dir, 'raw.db'))
  raw.pragma('journal_mode = WAL')
  raw.pragma('synchronous = NORMAL')
  raw.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER)')
  const rawGet = raw.prepare('SELECT value, expires_at FROM kv WHERE key = ?')
  const rawSet = raw.prepare(
    'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
  )
  const store = sqliteStore({ path: join(dir, 'cachestack.db') })
  const bounded = new SqliteStore({ path: join(dir, 'bounded.db'), maxBytes: '1gb' })
  const cache = createCache({ tiers: [sqliteStore({ path: join(dir, 'cachestack.db') })] })
  for (const k of keys) {
    rawSet.run(k, bytes, env.staleUntil)
    store.set(k, bytes, env.staleUntil)
    bounded.set(k, bytes, env.staleUntil)
  }
  const key = (i: number) => keys[i % N]!
  return {
    title: 'SQLite (file, WAL)',
    get: {
      baseline: 'raw better-sqlite3 get',
      ops: 50_000,
      rows: [
        ['raw better-sqlite3 get', (i) => rawGet.get(key(i))],
        [
          'raw better-sqlite3 get + decode',
          (i) => decodeEnvelope((rawGet.get(key(i)) as { value: Uint8Array }).value, defaultSerializer),
        ],
        ['cachestack sqliteStore.get', (i) => store.get(key(i))],
        ['cachestack sqliteStore.get (maxBytes: LRU touch)', (i) => bounded.get(key(i))],
        ['cachestack cache.get over sqlite tier', (i) => cache.get(key(i))],
      ],
    },
    set: {
      baseline: 'raw better-sqlite3 upsert',
      ops: 20_000,
      rows: [
        ['raw better-sqlite3 upsert', (i) => rawSet.run(key(i), valueAt(i), env.staleUntil)],
        [
          'raw better-sqlite3 upsert + encode',
          (i) => rawSet.run(key(i), encodeEnvelope({ ...env, createdAt: i }, defaultSerializer), env.staleUntil),
        ],
        ['cachestack sqliteStore.set', (i) => store.set(key(i), valueAt(i), env.staleUntil)],
        ['cachestack sqliteStore.set (maxBytes)', (i) => bounded.set(key(i), valueAt(i), env.staleUntil)],
        ['cachestack cache.set over sqlite tier', (i) => cache.set(key(i), value, { ttl: '1h' })],
      ],
    },
    async close() {
      await cache.close()
      await store.close?.()
      bounded.close()
      raw.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const benches: StoreBench[] = [await sqliteBench()]

// ─── REDIS / MEMCACHED ROWS ────────────────────────────────────────────────
// The redis branch adds its stores here: push a StoreBench per store (raw
// ioredis / node-redis / memjs rows as baselines, cachestack's store and
// cache.get over it), e.g. `benches.push(await redisBench())`, plus the
// redis-benchmark ceiling printed after the tables.
// ───────────────────────────────────────────────────────────────────────────

console.log(`${machineLine()}\n`)
const summary: string[] = []
for (const b of benches) {
  for (const concurrency of [1, 100]) {
    const gets = await compareConcurrent(b.get.rows, { ops: b.get.ops, concurrency })
    const getRatios = printTable(`${b.title}: get, concurrency ${concurrency}`, gets, b.get.baseline)
    const sets = await compareConcurrent(b.set.rows, { ops: b.set.ops, concurrency })
    const setRatios = printTable(`${b.title}: set, concurrency ${concurrency}`, sets, b.set.baseline)
    for (const [name, ratio] of Object.entries({ ...getRatios, ...setRatios })) {
      if (name.startsWith('cachestack')) summary.push(`- ${b.title}, c=${concurrency}: ${name}: ${ratio.toFixed(2)}×`)
    }
  }
  await b.close()
}
console.log(`\nRatios to the raw client (no target for SQLite in the issue):\n${summary.join('\n')}`)
