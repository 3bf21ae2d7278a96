/**
 * The SQLite tier on better-sqlite3: entries survive restarts, and several
 * processes may share one file.
 *
 * - WAL mode: readers never wait for a writer; `busyTimeout` bounds how long a
 *   writer waits for another process's write (better-sqlite3 is synchronous, so
 *   that wait blocks the event loop: keep it short).
 * - Every write is one statement or one short IMMEDIATE transaction, never
 *   held across an `await`, so no connection can block another for long.
 * - Expiry is checked on read against the cache's clock; expired rows are
 *   deleted in batches by a background sweep (an unref'd timer).
 * - `maxBytes` bounds the file's entries (keys and values): triggers keep the
 *   total in a one-row table, exact across processes; past the bound the least
 *   recently used rows go. Reads record their access in memory and write it in
 *   one batched transaction per `touchInterval`, so a read stays a read.
 * - Tag and namespace versions live in their own table, bumped atomically.
 * @module
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { type Clock, systemClock } from '../core/clock.js'
import { type Duration, parseDuration, parseSize, type Size } from '../core/duration.js'
import { CacheError, invalidOption } from '../core/errors.js'
import { loadPeer } from '../core/optional-peer.js'
import type {
  EvictionReason,
  SharedVersions,
  Store,
  StoreContext,
  StoreSize,
  StoreWrite,
  VersionedEntry,
} from '../core/store.js'
import { type GuardOptions, guardStore } from './guard.js'

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions extends GuardOptions {
  /** The database file; its directory is created if needed. `':memory:'` keeps it in this process only. */
  path: string
  /**
   * The most bytes of keys and values held; past it the least recently used
   * entries are evicted (down to 90 % of it, so eviction runs in batches). An
   * entry larger than the whole budget is refused. Pages SQLite keeps free are
   * not counted: the file can be somewhat larger.
   * @defaultValue unbounded
   */
  maxBytes?: Size
  /**
   * How long a write waits for another process's write to finish before it
   * fails (and the cache skips the tier). Blocks the event loop meanwhile.
   * @defaultValue `'500ms'`
   */
  busyTimeout?: Duration
  /**
   * How often expired rows are deleted (in batches of 1,000). `false` for never
   * (expired entries are still never returned).
   * @defaultValue `'1m'`
   */
  cleanupInterval?: Duration | false
  /**
   * How often the recorded reads are written to the last-access column that
   * LRU eviction orders by.
   * @defaultValue `'1s'`
   */
  touchInterval?: Duration
  /**
   * The table-name prefix, so several caches can share one file. Letters, digits and `_`.
   * @defaultValue `'cachestack'`
   */
  table?: string
  /** The tier's name in stats and errors. @defaultValue `'sqlite'` */
  name?: string
}

type Database = BetterSqlite3.Database
type Statement = BetterSqlite3.Statement
type Statements = Record<
  | 'get'
  | 'set'
  | 'del'
  | 'clearAll'
  | 'clearPrefix'
  | 'size'
  | 'bytes'
  | 'version'
  | 'bump'
  | 'touch'
  | 'expire'
  | 'evict',
  Statement
>

interface Row {
  value: Uint8Array
  expires_at: number | null
  tags: string | null
}

const SCHEMA_VERSION = 1
const BATCH = 1000
const TOUCH_FLUSH_AT = 2000
/** A byte no UTF-8 text contains: `prefix || X'FF'` sorts after every key that starts with `prefix`. */
const AFTER_ALL_UTF8 = "CAST(X'FF' AS TEXT)"

/**
 * The SQLite tier itself, without the guard. Use {@link sqliteStore}, which
 * adds the timeout, circuit breaker and `strict` option every tier has.
 */
export class SqliteStore implements Store<Uint8Array> {
  readonly name: string
  readonly binary = true as const
  readonly versions: SharedVersions
  /** The file path. */
  readonly path: string
  readonly #db: Database
  readonly #maxBytes: number
  readonly #s: Statements
  readonly #touches = new Map<string, number>()
  #clock: Clock = systemClock
  #onEvict: (key: string, reason: EvictionReason) => void = () => {}
  #timer: NodeJS.Timeout | undefined
  #closed = false
  #nextCleanup: number
  readonly #cleanupEvery: number

  /** @param options - see {@link SqliteStoreOptions} */
  constructor(options: SqliteStoreOptions) {
    if (options === null || typeof options !== 'object')
      throw invalidOption('options', 'an object with a path', options)
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw invalidOption('path', 'a file path (or ":memory:")', options.path)
    }
    const table = options.table ?? 'cachestack'
    if (typeof table !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(table)) {
      throw invalidOption('table', 'letters, digits and _ (not starting with a digit)', table)
    }
    this.name = options.name ?? 'sqlite'
    this.path = options.path
    this.#maxBytes = options.maxBytes === undefined ? Number.POSITIVE_INFINITY : parseSize(options.maxBytes, 'maxBytes')
    const busy = parseDuration(options.busyTimeout ?? 500, 'busyTimeout')
    this.#cleanupEvery =
      options.cleanupInterval === false
        ? Number.POSITIVE_INFINITY
        : parseDuration(options.cleanupInterval ?? 60_000, 'cleanupInterval')
    const touchEvery = parseDuration(options.touchInterval ?? 1000, 'touchInterval')

    const Sqlite = loadPeer<typeof BetterSqlite3>('better-sqlite3', 'The SQLite tier (sqliteStore)')
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
    const db = new Sqlite(options.path, { timeout: busy })
    this.#db = db
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      this.#s = this.#prepare(`${table}_v${SCHEMA_VERSION}`)
    } catch (error) {
      db.close()
      throw error
    }
    this.#nextCleanup = Date.now() + Math.min(this.#cleanupEvery, 5_000)
    if (Number.isFinite(touchEvery) && touchEvery > 0) {
      this.#timer = setInterval(() => this.#tick(), Math.min(touchEvery, this.#cleanupEvery))
      this.#timer.unref?.()
    }
    const versionsOf = (names: readonly string[]): number[] => {
      this.#open()
      const out = new Array<number>(names.length)
      for (let i = 0; i < names.length; i++) out[i] = (this.#s.version.get(names[i]) as number | undefined) ?? 0
      return out
    }
    const bump = db.transaction((names: readonly string[]): number[] =>
      names.map((name) => this.#s.bump.get(name) as number),
    )
    this.versions = {
      read: versionsOf,
      bump: (names) => {
        this.#open()
        return bump.immediate(names)
      },
    }
    this.#versionsOf = versionsOf
  }

  readonly #versionsOf: (names: readonly string[]) => number[]

  #prepare(t: string): Statements {
    const db = this.#db
    // Creating the schema is one IMMEDIATE transaction, so two processes opening a new file do not race.
    db.transaction(() => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS ${t} (
          key TEXT PRIMARY KEY NOT NULL,
          value BLOB NOT NULL,
          expires_at INTEGER,
          size INTEGER NOT NULL,
          accessed_at INTEGER NOT NULL,
          tags TEXT
        );
        CREATE INDEX IF NOT EXISTS ${t}_expires ON ${t} (expires_at) WHERE expires_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ${t}_accessed ON ${t} (accessed_at);
        CREATE TABLE IF NOT EXISTS ${t}_versions (name TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ${t}_meta (id INTEGER PRIMARY KEY CHECK (id = 1), entries INTEGER NOT NULL, bytes INTEGER NOT NULL);
        INSERT OR IGNORE INTO ${t}_meta VALUES (1, 0, 0);
        CREATE TRIGGER IF NOT EXISTS ${t}_ins AFTER INSERT ON ${t} BEGIN
          UPDATE ${t}_meta SET entries = entries + 1, bytes = bytes + new.size WHERE id = 1; END;
        CREATE TRIGGER IF NOT EXISTS ${t}_upd AFTER UPDATE OF size ON ${t} BEGIN
          UPDATE ${t}_meta SET bytes = bytes + new.size - old.size WHERE id = 1; END;
        CREATE TRIGGER IF NOT EXISTS ${t}_del AFTER DELETE ON ${t} BEGIN
          UPDATE ${t}_meta SET entries = entries - 1, bytes = bytes - old.size WHERE id = 1; END;
      `)
    }).immediate()
    return {
      get: db.prepare(`SELECT value, expires_at, tags FROM ${t} WHERE key = ?`),
      set: db.prepare(
        `INSERT INTO ${t} (key, value, expires_at, size, accessed_at, tags) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
           size = excluded.size, accessed_at = excluded.accessed_at, tags = excluded.tags`,
      ),
      del: db.prepare(`DELETE FROM ${t} WHERE key = ?`),
      clearAll: db.prepare(`DELETE FROM ${t}`),
      clearPrefix: db.prepare(`DELETE FROM ${t} WHERE key >= @p AND key < @p || ${AFTER_ALL_UTF8}`),
      size: db.prepare(`SELECT entries, bytes FROM ${t}_meta WHERE id = 1`),
      bytes: db.prepare(`SELECT bytes FROM ${t}_meta WHERE id = 1`).pluck(),
      version: db.prepare(`SELECT version FROM ${t}_versions WHERE name = ?`).pluck(),
      bump: db
        .prepare(
          `INSERT INTO ${t}_versions (name, version) VALUES (?, 1)
           ON CONFLICT (name) DO UPDATE SET version = version + 1 RETURNING version`,
        )
        .pluck(),
      touch: db.prepare(`UPDATE ${t} SET accessed_at = ? WHERE key = ?`),
      expire: db
        .prepare(
          `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE expires_at <= ? LIMIT ${BATCH}) RETURNING key`,
        )
        .pluck(),
      evict: db
        .prepare(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} ORDER BY accessed_at LIMIT ?) RETURNING key`)
        .pluck(),
    }
  }

  init(ctx: StoreContext): void {
    this.#clock = ctx.clock
    this.#onEvict = ctx.onEvict
  }

  get(key: string): Uint8Array | undefined {
    this.#open()
    const row = this.#s.get.get(key) as Row | undefined
    if (row === undefined || (row.expires_at !== null && row.expires_at <= this.#clock.now())) return undefined
    this.#touched(key)
    return row.value
  }

  getWithVersions(key: string): VersionedEntry<Uint8Array> | undefined {
    this.#open()
    const row = this.#s.get.get(key) as Row | undefined
    if (row === undefined || (row.expires_at !== null && row.expires_at <= this.#clock.now())) return undefined
    this.#touched(key)
    // Versions are read after the entry: a bump in between makes it stale, never hides an invalidation.
    const versions = row.tags === null ? [] : this.#versionsOf(JSON.parse(row.tags) as string[])
    return { value: row.value, versions }
  }

  getMany(keys: readonly string[]): (Uint8Array | undefined)[] {
    const out = new Array<Uint8Array | undefined>(keys.length)
    for (let i = 0; i < keys.length; i++) out[i] = this.get(keys[i]!)
    return out
  }

  set(key: string, value: Uint8Array, expiresAt: number, tags?: readonly string[]): void {
    this.#open()
    const size = entrySize(key, value)
    if (size > this.#maxBytes) {
      this.#s.del.run(key)
      this.#onEvict(key, 'too-large')
      return
    }
    this.#write(key, value, expiresAt, tags, size)
    this.#bound()
  }

  setMany(entries: readonly StoreWrite<Uint8Array>[]): void {
    this.#open()
    this.#db
      .transaction(() => {
        for (const e of entries) {
          const size = entrySize(e.key, e.value)
          if (size > this.#maxBytes) {
            this.#s.del.run(e.key)
            this.#onEvict(e.key, 'too-large')
          } else this.#write(e.key, e.value, e.expiresAt, e.tags, size)
        }
      })
      .immediate()
    this.#bound()
  }

  #write(key: string, value: Uint8Array, expiresAt: number, tags: readonly string[] | undefined, size: number): void {
    this.#touches.delete(key)
    this.#s.set.run(
      key,
      value,
      Number.isFinite(expiresAt) ? Math.ceil(expiresAt) : null,
      size,
      accessTime(),
      tags === undefined || tags.length === 0 ? null : JSON.stringify(tags),
    )
  }

  delete(key: string): boolean {
    this.#open()
    this.#touches.delete(key)
    return this.#s.del.run(key).changes > 0
  }

  deleteMany(keys: readonly string[]): void {
    this.#open()
    this.#db
      .transaction(() => {
        for (const key of keys) this.#s.del.run(key)
      })
      .immediate()
  }

  clear(prefix = ''): void {
    this.#open()
    this.#touches.clear()
    if (prefix === '') this.#s.clearAll.run()
    else this.#s.clearPrefix.run({ p: prefix })
  }

  size(): StoreSize {
    this.#open()
    return this.#s.size.get() as StoreSize
  }

  /**
   * Deletes expired rows now (in batches), and writes the recorded reads.
   * Runs on its own every `cleanupInterval`; call it to reclaim space at once.
   * @returns how many expired rows were deleted
   */
  cleanup(): number {
    this.#open()
    this.flushTouches()
    let deleted = 0
    for (;;) {
      const keys = this.#s.expire.all(this.#clock.now()) as string[]
      for (const key of keys) this.#onEvict(key, 'expired')
      deleted += keys.length
      if (keys.length < BATCH) return deleted
    }
  }

  /** Writes the recorded last-access times in one transaction (best effort: skipped when the file is busy). */
  flushTouches(): void {
    if (this.#touches.size === 0 || this.#closed) return
    const touches = [...this.#touches]
    this.#touches.clear()
    try {
      this.#db
        .transaction(() => {
          for (const [key, at] of touches) this.#s.touch.run(at, key)
        })
        .immediate()
    } catch {
      // Access times only order eviction; losing one batch under contention is harmless.
    }
  }

  close(): void {
    if (this.#closed) return
    this.flushTouches()
    this.#closed = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#db.close()
  }

  #touched(key: string): void {
    if (this.#maxBytes === Number.POSITIVE_INFINITY) return
    this.#touches.set(key, accessTime())
    if (this.#touches.size >= TOUCH_FLUSH_AT) this.flushTouches()
  }

  /** Evicts least recently used rows while the total is over `maxBytes` (expired rows first). */
  #bound(): void {
    if (this.#maxBytes === Number.POSITIVE_INFINITY) return
    if ((this.#s.bytes.get() as number) <= this.#maxBytes) return
    this.cleanup()
    const low = this.#maxBytes * 0.9
    for (;;) {
      const { entries, bytes } = this.#s.size.get() as StoreSize
      if (bytes <= low || entries === 0) return
      // As many rows as the average entry says bring the total down to the low mark.
      const count = Math.min(1000, Math.max(1, Math.ceil((bytes - low) / (bytes / entries))))
      const keys = this.#s.evict.all(count) as string[]
      if (keys.length === 0) return
      for (const key of keys) this.#onEvict(key, 'capacity')
    }
  }

  #tick(): void {
    if (this.#closed) return
    try {
      if (Date.now() >= this.#nextCleanup) {
        this.#nextCleanup = Date.now() + this.#cleanupEvery
        this.cleanup()
      } else this.flushTouches()
    } catch {
      // A busy or failing file: the next tick tries again; reads and writes report their own errors.
    }
  }

  #open(): void {
    if (this.#closed) throw new CacheError('ERR_CACHE_CLOSED', `The ${this.name} store was closed: create a new one.`)
  }
}

/** Wall-clock microseconds: ordered across processes, and fine enough that writes in one millisecond stay in order. */
function accessTime(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000)
}

function entrySize(key: string, value: Uint8Array): number {
  return Buffer.byteLength(key) + value.byteLength + 48
}

/**
 * A SQLite tier in a file: persistent across restarts, shared by every process
 * that opens the same file, with shared tag and namespace versions. Needs the
 * optional peer `better-sqlite3`.
 *
 * @param options - see {@link SqliteStoreOptions}; with the timeout, breaker and `strict` of every tier
 * @throws CacheError `ERR_CACHE_PEER_MISSING` when better-sqlite3 is not installed; `ERR_CACHE_INVALID_OPTION` naming a bad option
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { sqliteStore } from 'cachestack/sqlite'
 *
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 10_000 }), sqliteStore({ path: './.cache/app.db', maxBytes: '1gb' })],
 *   ttl: '10m',
 * })
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions): Store<Uint8Array> {
  return guardStore(new SqliteStore(options), options)
}
