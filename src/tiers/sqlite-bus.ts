/**
 * The invalidation bus over a SQLite file: the processes of one machine that
 * share a SQLite tier also share a change log in it. Changes are rows (those
 * of a few milliseconds share one row, so a burst of writes costs one
 * insert); each process polls the rows after the last one it read (one
 * indexed read per interval) and hands other processes' changes to its cache.
 * So a `set`, `delete` or `clear` in one process drops the key from the
 * others' memory tiers within one interval.
 *
 * Rows older than `retain` (as seen by the pollers) are deleted. A process
 * that fell further behind than that (suspended, blocked) finds rows missing
 * after its last one and resyncs: its cache drops its memory tier, as after a
 * Redis bus reconnection. A send that fails (the file locked past
 * `busyTimeout`) is kept and sent again at the next poll.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { type Duration, parseDuration } from '../core/duration.js'
import { invalidOption } from '../core/errors.js'
import { loadPeer } from '../core/optional-peer.js'
import type { Bus, BusHandlers, BusMessage, BusStats } from './bus.js'

/** Options of {@link sqliteBus}. */
export interface SqliteBusOptions {
  /** The SQLite file the processes share (usually the one their `sqliteStore` uses). */
  path: string
  /**
   * The table-name prefix, so several caches can share one file. Letters, digits and `_`.
   * @defaultValue `'cachestack'`
   */
  table?: string
  /**
   * How often each process reads the changes of the others: the longest a
   * change takes to reach another process's memory tier. Each poll is one
   * indexed read (an unref'd timer: it never keeps the process alive).
   * @defaultValue `'250ms'`
   */
  interval?: Duration
  /**
   * How long a change is kept in the file. A process that does not poll for
   * longer than this (blocked, suspended) drops its memory tier instead.
   * @defaultValue `'1m'`
   */
  retain?: Duration
  /**
   * How long a send waits for another process's write to finish before it is
   * kept for a later poll. Blocks the event loop meanwhile; after a failure,
   * sends wait 1 s (doubling up to 30 s) before the next try.
   * @defaultValue `'100ms'`
   */
  busyTimeout?: Duration
  /**
   * The most changed names kept for re-sending while the file cannot be
   * written; past it, the kept changes become one "clear everything" message.
   * @defaultValue 10_000
   */
  maxPending?: number
}

interface Row {
  id: number
  sender: string
  body: string
}

interface Wire {
  k?: string[]
  t?: string[]
  c?: string[]
}

const SCHEMA_VERSION = 1
/** Rows read per statement while catching up. */
const PAGE = 1000
/** The most rows kept whatever their age, so a burst cannot grow the file without bound. */
const MAX_ROWS = 100_000
/** How long changes gather before they are written as one row (ms). */
const SEND_DELAY = 5
const DONE = Promise.resolve()
const MIN_BACKOFF = 1000
const MAX_BACKOFF = 30_000

class SqliteBus implements Bus {
  readonly id = randomUUID()
  readonly #db: BetterSqlite3.Database
  readonly #s: Record<'insert' | 'since' | 'min' | 'seq' | 'prune', BetterSqlite3.Statement>
  readonly #interval: number
  readonly #retain: number
  readonly #maxPending: number
  #handlers: BusHandlers | undefined
  #timer: NodeJS.Timeout | undefined
  #stats: BusStats = { published: 0, received: 0, resyncs: 0, errors: 0, pending: 0 }
  /** The last row id read. */
  #last = 0
  /** The last row id read at each poll, oldest first: rows up to one older than `retain` may go. */
  #seen: { id: number; at: number }[] = []
  #nextPrune = 0
  /** After a failed write, none is tried before this time (wall clock ms). */
  #retryAt = 0
  #backoff = MIN_BACKOFF
  /** Changes queued for the next row. */
  #batch: { keys: Set<string>; tags: Set<string>; clears: Set<string> } | undefined
  #sendTimer: NodeJS.Timeout | undefined
  /** Changes whose send failed, sent again at the next poll. */
  #pending: Required<BusMessage> = { keys: [], tags: [], clears: [] }
  #closed = false

  constructor(options: SqliteBusOptions) {
    if (options === null || typeof options !== 'object') {
      throw invalidOption('options', 'an object with a path', options)
    }
    if (typeof options.path !== 'string' || options.path.length === 0 || options.path === ':memory:') {
      throw invalidOption('path', 'a file path shared by the processes', options.path)
    }
    const table = options.table ?? 'cachestack'
    if (typeof table !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(table)) {
      throw invalidOption('table', 'letters, digits and _ (not starting with a digit)', table)
    }
    this.#interval = parseDuration(options.interval ?? 250, 'interval')
    if (this.#interval <= 0) throw invalidOption('interval', 'a duration above 0', options.interval)
    this.#retain = parseDuration(options.retain ?? 60_000, 'retain')
    this.#maxPending = options.maxPending ?? 10_000
    const busy = parseDuration(options.busyTimeout ?? 100, 'busyTimeout')
    const Sqlite = loadPeer<typeof BetterSqlite3>('better-sqlite3', 'The SQLite bus (sqliteBus)')
    mkdirSync(dirname(options.path), { recursive: true })
    const db = new Sqlite(options.path, { timeout: busy })
    this.#db = db
    const t = `${table}_bus_v${SCHEMA_VERSION}`
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${t} (id INTEGER PRIMARY KEY AUTOINCREMENT, sender TEXT NOT NULL, body TEXT NOT NULL)`,
      )
      this.#s = {
        insert: db.prepare(`INSERT INTO ${t} (sender, body) VALUES (?, ?)`),
        since: db.prepare(`SELECT id, sender, body FROM ${t} WHERE id > ? ORDER BY id LIMIT ${PAGE}`),
        min: db.prepare(`SELECT min(id) FROM ${t}`).pluck(),
        // The last id handed out, even when its row is gone (AUTOINCREMENT never reuses one).
        seq: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = '${t}'`).pluck(),
        prune: db.prepare(`DELETE FROM ${t} WHERE id <= ?`),
      }
    } catch (error) {
      db.close()
      throw error
    }
  }

  join(handlers: BusHandlers): void {
    this.#handlers = handlers
    // Changes made before joining concern entries this process does not hold yet.
    try {
      this.#last = (this.#s.seq.get() as number | undefined) ?? 0
    } catch {
      // Unreadable now: the first poll that can read starts from the oldest row kept.
      this.#stats.errors++
    }
    this.#timer = setInterval(() => this.#poll(), this.#interval)
    this.#timer.unref?.()
  }

  /**
   * Queues a change; the changes of the next few milliseconds are written as
   * one row, so a burst of writes costs one insert, not one each. Resolves at
   * once: the change is queued (and kept if its write fails), never lost by
   * this process before `close()`.
   */
  publish(message: BusMessage): Promise<void> {
    if (this.#closed) return DONE
    let batch = this.#batch
    if (batch === undefined) {
      batch = { keys: new Set(), tags: new Set(), clears: new Set() }
      this.#batch = batch
      this.#sendTimer = setTimeout(() => this.#sendBatch(), SEND_DELAY)
    }
    if (message.keys) for (const k of message.keys) batch.keys.add(k)
    if (message.tags) for (const t of message.tags) batch.tags.add(t)
    if (message.clears) for (const c of message.clears) batch.clears.add(c)
    return DONE
  }

  #sendBatch(): void {
    const batch = this.#batch
    if (batch === undefined) return
    this.#batch = undefined
    clearTimeout(this.#sendTimer)
    this.#send({ keys: [...batch.keys], tags: [...batch.tags], clears: [...batch.clears] })
  }

  /**
   * Writes this process's queued changes, then reads every change written so
   * far (SQLite reads are synchronous: they are delivered when this resolves).
   */
  async flush(): Promise<void> {
    this.#sendBatch()
    this.#poll()
  }

  stats(): BusStats {
    this.#stats.pending = this.#pending.keys.length + this.#pending.tags.length + this.#pending.clears.length
    return { ...this.#stats }
  }

  close(): void {
    if (this.#closed) return
    this.#sendBatch()
    this.#closed = true
    clearInterval(this.#timer)
    this.#db.close()
  }

  /**
   * Writes one batch as one row; kept for a later poll when the file cannot
   * be written. After a failure, writes wait (1 s, doubling up to 30 s): each
   * try can block the event loop for `busyTimeout`.
   */
  #send(message: Required<BusMessage>): boolean {
    if (message.keys.length + message.tags.length + message.clears.length === 0) return true
    if (Date.now() < this.#retryAt) {
      this.#keep(message)
      return false
    }
    const wire: Wire = {}
    if (message.clears.length > 0) wire.c = message.clears
    if (message.tags.length > 0) wire.t = message.tags
    if (message.keys.length > 0) wire.k = message.keys
    try {
      this.#s.insert.run(this.id, JSON.stringify(wire))
      this.#stats.published++
      this.#backoff = MIN_BACKOFF
      return true
    } catch {
      this.#stats.errors++
      this.#keep(message)
      this.#failed()
      return false
    }
  }

  #failed(): void {
    this.#retryAt = Date.now() + this.#backoff
    this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF)
  }

  #keep(message: Required<BusMessage>): void {
    const p = this.#pending
    p.keys.push(...message.keys)
    p.tags.push(...message.tags)
    p.clears.push(...message.clears)
    if (p.keys.length + p.tags.length + p.clears.length > this.#maxPending) {
      // Too much to replay name by name: every other process drops its local tiers instead.
      this.#pending = { keys: [], tags: [], clears: [''] }
    }
  }

  #poll(): void {
    const handlers = this.#handlers
    if (this.#closed || handlers === undefined) return
    const p = this.#pending
    if (p.keys.length + p.tags.length + p.clears.length > 0) {
      this.#pending = { keys: [], tags: [], clears: [] }
      this.#send(p)
    }
    try {
      const min = this.#s.min.get() as number | null
      if (min !== null && min > this.#last + 1) {
        // Rows after the last one read are gone (pruned while this process did not poll): changes were missed.
        this.#last = (this.#s.seq.get() as number | undefined) ?? this.#last
        this.#stats.resyncs++
        handlers.resync()
      } else {
        for (;;) {
          const rows = this.#s.since.all(this.#last) as Row[]
          for (const row of rows) {
            this.#last = row.id
            if (row.sender !== this.id) this.#deliver(handlers, row.body)
          }
          if (rows.length < PAGE) break
        }
      }
      this.#prune()
    } catch {
      this.#stats.errors++
    }
  }

  #deliver(handlers: BusHandlers, body: string): void {
    let wire: Wire
    try {
      wire = JSON.parse(body) as Wire
    } catch {
      this.#stats.errors++
      return
    }
    this.#stats.received++
    const message: BusMessage = {}
    if (wire.c) message.clears = wire.c
    if (wire.t) message.tags = wire.t
    if (wire.k) message.keys = wire.k
    handlers.message(message)
  }

  /**
   * Deletes the rows this process read more than `retain` ago, and any beyond
   * the newest `MAX_ROWS` (at most every `retain / 10`: a delete is a write).
   */
  #prune(): void {
    const now = Date.now()
    const seen = this.#seen
    if (seen.length === 0 || seen[seen.length - 1]!.id !== this.#last) seen.push({ id: this.#last, at: now })
    if (now < this.#nextPrune || now < this.#retryAt) return
    this.#nextPrune = now + this.#retain / 10
    let upTo = this.#last - MAX_ROWS
    let drop = 0
    while (drop < seen.length && seen[drop]!.at <= now - this.#retain) upTo = Math.max(upTo, seen[drop++]!.id)
    if (drop > 0) seen.splice(0, drop)
    const min = this.#s.min.get() as number | null
    if (upTo <= 0 || min === null || min > upTo) return
    try {
      this.#s.prune.run(upTo)
    } catch {
      // Locked: pruned on a later poll.
      this.#stats.errors++
      this.#failed()
    }
  }
}

/**
 * An invalidation bus over a SQLite file, for processes of one machine that
 * share a SQLite tier and no Redis: every `set`, `delete`, `invalidateTags`
 * and `clear` in one process drops the affected keys from every other
 * process's memory tier within `interval`. The embedded default
 * (`createCache()` without tiers) uses one on its file.
 *
 * @param options - see {@link SqliteBusOptions}
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { sqliteBus, sqliteStore } from 'cachestack/sqlite'
 *
 * const path = './.cache/app.db'
 * const cache = createCache({ tiers: [memoryStore(), sqliteStore({ path })], bus: sqliteBus({ path }) })
 * ```
 */
export function sqliteBus(options: SqliteBusOptions): Bus {
  return new SqliteBus(options)
}
