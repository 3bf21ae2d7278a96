/**
 * The SQLite tier on better-sqlite3: entries survive restarts, and several
 * processes may share one file.
 *
 * - WAL mode: readers never wait for a writer; `busyTimeout` bounds how long a
 *   writer waits for another process's write (better-sqlite3 is synchronous, so
 *   that wait blocks the event loop: keep it short).
 * - Every write is one statement or one short IMMEDIATE transaction, never
 *   held across an `await`, so no connection can block another for long. The
 *   writes of one tick share one transaction (group commit).
 * - Expiry is checked on read against the cache's clock; expired rows are
 *   deleted in batches by a background sweep (an unref'd timer).
 * - `maxBytes` bounds the file's entries (keys and values): triggers keep the
 *   total in a one-row table, exact across processes; past the bound the least
 *   recently used rows go. Reads record their access in memory (at most once
 *   per row per `touchInterval`) and write it in one batched transaction, so a
 *   read stays a read.
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
   * The granularity of LRU (only with `maxBytes`): a read moves an entry's
   * last access (the column eviction orders by) at most once per interval, and
   * recorded reads are written in one transaction about this often (or every
   * 2,000 keys). Shorter is a finer LRU at the cost of more writes; 0 moves it
   * on every read and writes only at eviction, a sweep or `flushTouches()`.
   * @defaultValue `'1m'`
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
  | 'replace'
  | 'expire'
  | 'evict'
  | 'lock'
  | 'unlock',
  Statement
>

interface Row {
  value: Uint8Array
  expires_at: number | null
  tags: string | null
  /** Wall-clock µs of the last recorded access; absent on a write not yet committed. */
  accessed_at?: number
}

/** A write waiting for the batch's transaction. */
interface PendingRow extends Row {
  size: number
}

interface Batch {
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

function noop(): void {}

let lockSeq = 0

const SCHEMA_VERSION = 1
const BATCH = 1000
/**
 * The expiry index holds the minute, not the millisecond: rewriting a key
 * within the same minute of expiry leaves the index untouched, which keeps
 * writes near the speed of an unindexed table. The sweep filters on the exact
 * time. (Last access has no index at all: eviction scans once per batch.)
 */
const MINUTE = 60_000
const TOUCH_FLUSH_AT = 2000
/** A byte no UTF-8 text contains: `prefix || X'FF'` sorts after every key that starts with `prefix`. */
const AFTER_ALL_UTF8 = "CAST(X'FF' AS TEXT)"

/** The entry table's columns; a table missing any of them is from an older layout and is recreated. */
const COLUMNS = ['key', 'value', 'expires_at', 'expires_min', 'size', 'accessed_at', 'tags'] as const

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
  /** Keys read since the last flush of access times; they all get the flush's time. */
  readonly #touches = new Set<string>()
  /** Writes made in this tick, committed together in one transaction (group commit). */
  readonly #pending = new Map<string, PendingRow>()
  #batch: Batch | undefined
  #clock: Clock = systemClock
  #onEvict: (key: string, reason: EvictionReason) => void = () => {}
  #timer: NodeJS.Timeout | undefined
  #closed = false
  #nextCleanup: number
  #nextTouchFlush: number
  readonly #touchEvery: number
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
    const touchEvery = parseDuration(options.touchInterval ?? 60_000, 'touchInterval')
    this.#touchEvery = touchEvery

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
    this.#nextTouchFlush = Date.now() + touchEvery
    const tick = Math.min(5_000, touchEvery > 0 ? touchEvery : Number.POSITIVE_INFINITY, this.#cleanupEvery)
    if (Number.isFinite(tick)) {
      this.#timer = setInterval(() => this.#tick(), tick)
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
      const columns = new Set((db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name))
      if (columns.size > 0 && COLUMNS.some((c) => !columns.has(c))) {
        // A file written by an older cachestack: a cache's rows can always be dropped, so start the table afresh.
        db.exec(`DROP TABLE ${t}; DROP TABLE IF EXISTS ${t}_meta;`)
      }
      db.exec(`
        CREATE TABLE IF NOT EXISTS ${t} (
          key TEXT PRIMARY KEY NOT NULL,
          value BLOB NOT NULL,
          expires_at INTEGER,
          expires_min INTEGER,
          size INTEGER NOT NULL,
          accessed_at INTEGER NOT NULL,
          tags TEXT
        );
        CREATE INDEX IF NOT EXISTS ${t}_expires ON ${t} (expires_min) WHERE expires_min IS NOT NULL;
        CREATE TABLE IF NOT EXISTS ${t}_versions (name TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ${t}_locks (name TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
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
      get: db.prepare(`SELECT value, expires_at, tags, accessed_at FROM ${t} WHERE key = ?`),
      set: db.prepare(
        `INSERT INTO ${t} (key, value, expires_at, expires_min, size, accessed_at, tags) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
           expires_min = excluded.expires_min, size = excluded.size, accessed_at = excluded.accessed_at,
           tags = excluded.tags`,
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
      // Compare-and-set: one statement, so atomic across processes; an expired row counts as gone.
      replace: db.prepare(
        `UPDATE ${t} SET value = @value, expires_at = @expires, expires_min = @min, size = @size,
           accessed_at = @at, tags = @tags
         WHERE key = @key AND value = @expected AND (expires_at IS NULL OR expires_at > @now)`,
      ),
      // Takes the lock when it is free or its holder's time is up; one statement, so atomic across processes.
      lock: db.prepare(
        `INSERT INTO ${t}_locks (name, owner, expires_at) VALUES (@name, @owner, @until)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE ${t}_locks.expires_at <= @now`,
      ),
      unlock: db.prepare(`DELETE FROM ${t}_locks WHERE name = ? AND owner = ?`),
      expire: db
        .prepare(
          `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE expires_min <= @min AND expires_at <= @now LIMIT ${BATCH}) RETURNING key`,
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

  /** The row under `key`: a write of this tick not yet committed, or the file's. */
  #row(key: string): Row | undefined {
    const row = this.#pending.get(key) ?? (this.#s.get.get(key) as Row | undefined)
    return row === undefined || (row.expires_at !== null && row.expires_at <= this.#clock.now()) ? undefined : row
  }

  get(key: string): Uint8Array | undefined {
    this.#open()
    const row = this.#row(key)
    if (row === undefined) return undefined
    this.#touched(key, row)
    return row.value
  }

  getWithVersions(key: string): VersionedEntry<Uint8Array> | undefined {
    this.#open()
    const row = this.#row(key)
    if (row === undefined) return undefined
    this.#touched(key, row)
    // Versions are read after the entry: a bump in between makes it stale, never hides an invalidation.
    const versions = row.tags === null ? [] : this.#versionsOf(JSON.parse(row.tags) as string[])
    return { value: row.value, versions }
  }

  getMany(keys: readonly string[]): (Uint8Array | undefined)[] {
    const out = new Array<Uint8Array | undefined>(keys.length)
    for (let i = 0; i < keys.length; i++) out[i] = this.get(keys[i]!)
    return out
  }

  /**
   * Stores an entry. Writes made in the same tick are committed together, in
   * one IMMEDIATE transaction on the next microtask (group commit: one WAL
   * append for many writes); the promise settles when it has. Reads in this
   * process see the write at once.
   */
  set(key: string, value: Uint8Array, expiresAt: number, tags?: readonly string[]): void | Promise<void> {
    this.#open()
    if (!this.#stage(key, value, expiresAt, tags)) return
    return this.#queue()
  }

  setMany(entries: readonly StoreWrite<Uint8Array>[]): void | Promise<void> {
    this.#open()
    let staged = false
    for (const e of entries) if (this.#stage(e.key, e.value, e.expiresAt, e.tags)) staged = true
    return staged ? this.#queue() : undefined
  }

  /** Adds a write to the batch; false when it was refused as larger than `maxBytes`. */
  #stage(key: string, value: Uint8Array, expiresAt: number, tags: readonly string[] | undefined): boolean {
    const size = entrySize(key, value)
    if (size > this.#maxBytes) {
      this.#pending.delete(key)
      this.#s.del.run(key)
      this.#onEvict(key, 'too-large')
      return false
    }
    this.#touches.delete(key)
    // Re-inserting keeps the batch in write order when a key is written twice.
    this.#pending.delete(key)
    this.#pending.set(key, {
      value,
      expires_at: Number.isFinite(expiresAt) ? Math.ceil(expiresAt) : null,
      tags: tags === undefined || tags.length === 0 ? null : JSON.stringify(tags),
      size,
    })
    return true
  }

  #queue(): Promise<void> {
    let batch = this.#batch
    if (batch === undefined) {
      let resolve!: () => void
      let reject!: (error: unknown) => void
      const promise = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      // Callers that do not await still must not see an unhandled rejection.
      promise.catch(noop)
      batch = { promise, resolve, reject }
      this.#batch = batch
      queueMicrotask(() => {
        if (this.#batch === batch) this.#flushQuietly()
      })
    }
    return batch.promise
  }

  #flushQuietly(): void {
    try {
      this.flush()
    } catch {
      // The batch's promise carries the error to every writer in it.
    }
  }

  /**
   * Commits the writes of this tick now (they are otherwise committed on the
   * next microtask), then evicts if over `maxBytes`.
   * @throws the SQLite error when the transaction fails (the batch's writers see it too)
   */
  flush(): void {
    const batch = this.#batch
    this.#batch = undefined
    if (this.#pending.size === 0) {
      batch?.resolve()
      return
    }
    const rows = [...this.#pending]
    this.#pending.clear()
    try {
      this.#db
        .transaction(() => {
          const at = accessTime()
          for (const [key, row] of rows) {
            const e = row.expires_at
            this.#s.set.run(key, row.value, e, e === null ? null : Math.floor(e / MINUTE), row.size, at, row.tags)
          }
        })
        .immediate()
    } catch (error) {
      batch?.reject(error)
      throw error
    }
    batch?.resolve()
    try {
      this.#bound()
    } catch {
      // Eviction under contention is retried on the next write or sweep; the writes themselves succeeded.
    }
  }

  /**
   * Replaces the row under `key` only while it still holds `expected` (the
   * bytes `get` returned) and has not expired: one `UPDATE … WHERE key = ? AND
   * value = ?`, atomic across every process on the file. A write of `key` made
   * in this tick and not yet committed is committed first, so it is compared.
   * A value larger than `maxBytes` is refused (`false`, the row left as it is).
   */
  compareAndSet(
    key: string,
    expected: Uint8Array,
    value: Uint8Array,
    expiresAt: number,
    tags?: readonly string[],
  ): boolean {
    this.#open()
    if (this.#pending.has(key)) this.flush()
    const size = entrySize(key, value)
    if (size > this.#maxBytes) return false
    const expires = Number.isFinite(expiresAt) ? Math.ceil(expiresAt) : null
    const replaced =
      this.#s.replace.run({
        key,
        expected,
        value,
        expires,
        min: expires === null ? null : Math.floor(expires / MINUTE),
        size,
        at: accessTime(),
        tags: tags === undefined || tags.length === 0 ? null : JSON.stringify(tags),
        now: this.#clock.now(),
      }).changes > 0
    if (replaced) this.#touches.delete(key)
    return replaced
  }

  delete(key: string): boolean {
    this.#open()
    this.#touches.delete(key)
    const staged = this.#pending.delete(key)
    return this.#s.del.run(key).changes > 0 || staged
  }

  deleteMany(keys: readonly string[]): void {
    this.#open()
    for (const key of keys) this.#pending.delete(key)
    this.#db
      .transaction(() => {
        for (const key of keys) this.#s.del.run(key)
      })
      .immediate()
  }

  clear(prefix = ''): void {
    this.#open()
    this.#touches.clear()
    for (const key of this.#pending.keys()) if (key.startsWith(prefix)) this.#pending.delete(key)
    if (prefix === '') this.#s.clearAll.run()
    else this.#s.clearPrefix.run({ p: prefix })
  }

  /**
   * Takes the cross-process lock `key` for at most `ttl` ms (wall clock), for
   * `getOrSet(…, { lock: true })`: resolves its release, or `undefined` while
   * another holder (in any process on this file) has it.
   */
  async lock(key: string, ttl: number): Promise<(() => Promise<void>) | undefined> {
    this.#open()
    const owner = `${process.pid}:${++lockSeq}`
    const now = Date.now()
    const taken = this.#s.lock.run({ name: key, owner, until: now + Math.max(1, ttl), now }).changes > 0
    if (!taken) return undefined
    return async () => {
      if (!this.#closed) this.#s.unlock.run(key, owner)
    }
  }

  size(): StoreSize {
    this.#open()
    this.flush()
    return this.#s.size.get() as StoreSize
  }

  /**
   * Deletes expired rows now (in batches), and writes the recorded reads.
   * Runs on its own every `cleanupInterval`; call it to reclaim space at once.
   * @returns how many expired rows were deleted
   */
  cleanup(): number {
    this.#open()
    this.#flushQuietly()
    this.flushTouches()
    let deleted = 0
    for (;;) {
      const now = this.#clock.now()
      const keys = this.#s.expire.all({ now, min: Math.floor(now / MINUTE) }) as string[]
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
    const at = accessTime()
    try {
      this.#db
        .transaction(() => {
          for (const key of touches) this.#s.touch.run(at, key)
        })
        .immediate()
    } catch {
      // Access times only order eviction; losing one batch under contention is harmless.
    }
  }

  close(): void {
    if (this.#closed) return
    this.#flushQuietly()
    this.flushTouches()
    this.#closed = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#db.close()
  }

  #touched(key: string, row: Row): void {
    if (this.#maxBytes === Number.POSITIVE_INFINITY) return
    // A row read again within the granularity keeps its time: not a write per read.
    if (row.accessed_at === undefined || row.accessed_at > accessTime() - this.#touchEvery * 1000) return
    this.#touches.add(key)
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
      const now = Date.now()
      if (now >= this.#nextCleanup) {
        this.#nextCleanup = now + this.#cleanupEvery
        this.cleanup()
      } else if (this.#touchEvery > 0 && now >= this.#nextTouchFlush) {
        this.#nextTouchFlush = now + this.#touchEvery
        this.flushTouches()
      }
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
