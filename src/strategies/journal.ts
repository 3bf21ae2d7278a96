/**
 * The write-behind journal: where an acknowledged write waits, durably, until
 * it reaches the source. Two implementations: a SQLite file (the default, via
 * better-sqlite3, loaded only when used) and a Redis stream (your ioredis client).
 * @module
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { Redis } from 'ioredis'
import { CacheError } from '../core/errors.js'

/** A journal entry's id, as the journal assigns it (increasing in append order). */
export type JournalId = number | string

/** One write as journaled: the key, whether it sets or deletes, and the serialized value. */
export interface JournalRecord {
  key: string
  op: 'set' | 'delete'
  /** The value's bytes (`undefined` for a delete). */
  value: Uint8Array | undefined
}

/** A journaled write read back on replay. */
export interface JournalEntry extends JournalRecord {
  id: JournalId
}

/**
 * Where write-behind keeps acknowledged writes until they are flushed. Implement
 * it to journal elsewhere; `append` must be durable when it resolves.
 */
export interface WriteJournal {
  /** Opens the journal (creates files, tables). Called once before anything else. */
  open(): Promise<void> | void
  /** Appends records in ONE durable commit; resolves their ids in order. */
  append(records: readonly JournalRecord[]): Promise<JournalId[]> | JournalId[]
  /** Forgets flushed entries. */
  ack(ids: readonly JournalId[]): Promise<void> | void
  /** Every entry not yet acknowledged, oldest first. */
  replay(): Promise<JournalEntry[]> | JournalEntry[]
  /** Releases files and statements (not a client passed in by the user). */
  close(): Promise<void> | void
}

/** Options of {@link sqliteJournal}. */
export interface SqliteJournalOptions {
  /** The journal file; created with its directory. @defaultValue `'.cachestack/write-behind.db'` */
  path?: string
  /** The journal's name, so several write-behind queues can share one file. @defaultValue `'default'` */
  name?: string
  /**
   * `'process'`: a write survives the process being killed (SIGKILL, crash):
   * WAL with `synchronous=NORMAL`, no fsync per commit. `'power'`: it also
   * survives power loss (`synchronous=FULL`, an fsync per commit; slower).
   * @defaultValue `'process'`
   */
  durability?: 'process' | 'power'
}

/**
 * A journal in a SQLite file (better-sqlite3, an optional peer, loaded on open).
 * @param options - see {@link SqliteJournalOptions}
 * @example
 * ```ts
 * const journal = sqliteJournal({ path: './data/journal.db', name: 'orders' })
 * ```
 */
export function sqliteJournal(options: SqliteJournalOptions = {}): WriteJournal {
  const path = options.path ?? '.cachestack/write-behind.db'
  const table = `cachestack_journal_${(options.name ?? 'default').replace(/[^A-Za-z0-9_]/g, '_')}`
  let db: Database | undefined
  let insert: ((r: JournalRecord) => number) | undefined
  let appendAll: ((rs: readonly JournalRecord[]) => number[]) | undefined
  let ackAll: ((ids: readonly JournalId[]) => void) | undefined
  return {
    async open() {
      let Sqlite: typeof import('better-sqlite3')
      try {
        const mod = await import('better-sqlite3')
        // ESM gives the constructor as `default`; a CommonJS build may get it directly.
        Sqlite = mod.default ?? (mod as unknown as typeof import('better-sqlite3'))
      } catch (cause) {
        throw new CacheError(
          'ERR_CACHE_JOURNAL',
          'The default write-behind journal needs better-sqlite3: npm install better-sqlite3 (or pass a redisJournal).',
          { cause },
        )
      }
      try {
        if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
        const d = new Sqlite(path)
        d.pragma('journal_mode = WAL')
        d.pragma(`synchronous = ${options.durability === 'power' ? 'FULL' : 'NORMAL'}`)
        d.exec(
          `create table if not exists "${table}" (id integer primary key autoincrement, key text not null, op integer not null, value blob)`,
        )
        const ins = d.prepare(`insert into "${table}" (key, op, value) values (?, ?, ?)`)
        const del = d.prepare(`delete from "${table}" where id = ?`)
        insert = (r) => Number(ins.run(r.key, r.op === 'set' ? 1 : 0, r.value ?? null).lastInsertRowid)
        appendAll = d.transaction((rs: readonly JournalRecord[]) => rs.map((r) => insert!(r)))
        ackAll = d.transaction((ids: readonly JournalId[]) => {
          for (const id of ids) del.run(id)
        })
        db = d
      } catch (cause) {
        throw new CacheError('ERR_CACHE_JOURNAL', `Cannot open the write-behind journal at ${path}: ${String(cause)}`, {
          cause,
        })
      }
    },
    append(records) {
      if (records.length === 1) return [insert!(records[0]!)]
      return appendAll!(records)
    },
    ack(ids) {
      if (ids.length > 0) ackAll!(ids)
    },
    replay() {
      const rows = db!.prepare(`select id, key, op, value from "${table}" order by id`).all() as {
        id: number
        key: string
        op: number
        value: Buffer | null
      }[]
      return rows.map((r) => ({
        id: r.id,
        key: r.key,
        op: r.op === 1 ? 'set' : 'delete',
        value: r.value === null ? undefined : new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength),
      }))
    },
    close() {
      db?.close()
      db = undefined
    },
  }
}

/** Options of {@link redisJournal}. */
export interface RedisJournalOptions {
  /** An ioredis client (yours: the journal never closes it). */
  client: Redis
  /** The stream's key: one per process or worker. @defaultValue `'cachestack:write-behind:default'` */
  stream?: string
}

/**
 * A journal in a Redis stream. Durable as far as your Redis is: with
 * `appendonly yes` and `appendfsync always` an acknowledged write survives a
 * Redis restart too; with `everysec`, up to a second of writes may be lost
 * if Redis itself crashes (a crash of your process loses nothing).
 * @param options - see {@link RedisJournalOptions}
 * @example
 * ```ts
 * const journal = redisJournal({ client: new Redis(), stream: `wb:orders:${process.env.HOSTNAME}` })
 * ```
 */
export function redisJournal(options: RedisJournalOptions): WriteJournal {
  const client = options?.client
  if (client === undefined || typeof client.xadd !== 'function') {
    throw new CacheError(
      'ERR_CACHE_JOURNAL',
      'redisJournal needs an ioredis client: redisJournal({ client: new Redis() }).',
    )
  }
  const stream = options.stream ?? 'cachestack:write-behind:default'
  return {
    open() {},
    async append(records) {
      const multi = client.multi()
      for (const r of records) {
        multi.xadd(
          stream,
          '*',
          'k',
          r.key,
          'o',
          r.op === 'set' ? '1' : '0',
          'v',
          Buffer.from(r.value ?? new Uint8Array(0)),
        )
      }
      const results = await multi.exec()
      if (results === null)
        throw new CacheError('ERR_CACHE_JOURNAL', `Appending to the Redis stream ${stream} was aborted.`)
      return results.map(([error, id]) => {
        if (error)
          throw new CacheError(
            'ERR_CACHE_JOURNAL',
            `Appending to the Redis stream ${stream} failed: ${error.message}`,
            { cause: error },
          )
        return id as string
      })
    },
    async ack(ids) {
      for (let i = 0; i < ids.length; i += 1000) await client.xdel(stream, ...(ids.slice(i, i + 1000) as string[]))
    },
    async replay() {
      const out: JournalEntry[] = []
      let start = '-'
      for (;;) {
        const page = await client.xrangeBuffer(stream, start, '+', 'COUNT', 1000)
        for (const [idBuf, fields] of page) {
          const f = new Map<string, Buffer>()
          for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString(), fields[i + 1]!)
          const op = f.get('o')?.toString() === '1' ? 'set' : 'delete'
          const v = f.get('v')
          out.push({
            id: idBuf.toString(),
            key: f.get('k')!.toString(),
            op,
            value: op === 'set' && v !== undefined ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : undefined,
          })
        }
        if (page.length < 1000) return out
        start = `(${page[page.length - 1]![0].toString()}`
      }
    },
    close() {},
  }
}
