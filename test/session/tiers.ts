/**
 * Byte tiers over real Redis and a real SQLite file, for session tests, until
 * cachestack/redis and cachestack/sqlite land on main (then the tests use those).
 */
import Database from 'better-sqlite3'
import type { Redis } from 'ioredis'
import type { Store, StoreContext } from '../../src/index.js'

/** A Redis tier: bytes under `prefix + key`, expiring with PX. */
export function redisTier(client: Redis, prefix: string): Store<Uint8Array> {
  let ctx: StoreContext | undefined
  const now = () => ctx?.clock.now() ?? Date.now()
  return {
    name: 'redis',
    binary: true,
    init(c) {
      ctx = c
    },
    async get(key) {
      const buf = await client.getBuffer(prefix + key)
      return buf === null ? undefined : new Uint8Array(buf)
    },
    async set(key, value, expiresAt) {
      if (expiresAt === Number.POSITIVE_INFINITY) await client.set(prefix + key, Buffer.from(value))
      else await client.set(prefix + key, Buffer.from(value), 'PX', Math.max(1, Math.ceil(expiresAt - now())))
    },
    async delete(key) {
      return (await client.del(prefix + key)) > 0
    },
    async clear(p = '') {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}${p}*`, 'COUNT', 500)
        if (keys.length > 0) await client.del(...keys)
        cursor = next
      } while (cursor !== '0')
    },
  }
}

/** A SQLite tier in a file: bytes with an absolute expiry, read with the cache's clock. */
export function sqliteTier(file: string): Store<Uint8Array> & { close(): void } {
  const db = new Database(file)
  db.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL, exp REAL NOT NULL)')
  const get = db.prepare<[string, number], { v: Buffer }>('SELECT v FROM kv WHERE k = ? AND exp > ?')
  const put = db.prepare('INSERT OR REPLACE INTO kv (k, v, exp) VALUES (?, ?, ?)')
  const del = db.prepare('DELETE FROM kv WHERE k = ?')
  const clear = db.prepare('DELETE FROM kv WHERE substr(k, 1, length(?)) = ?')
  let ctx: StoreContext | undefined
  const now = () => ctx?.clock.now() ?? Date.now()
  return {
    name: 'sqlite',
    binary: true,
    init(c) {
      ctx = c
    },
    get(key) {
      const row = get.get(key, now())
      return row === undefined ? undefined : new Uint8Array(row.v)
    },
    set(key, value, expiresAt) {
      put.run(key, Buffer.from(value), expiresAt === Number.POSITIVE_INFINITY ? 1e300 : expiresAt)
    },
    delete(key) {
      return del.run(key).changes > 0
    },
    clear(p = '') {
      clear.run(p, p)
    },
    close() {
      db.close()
    },
  }
}
