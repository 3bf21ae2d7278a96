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
  let insert: ((blob: Buffer) => number) | undefined
  let ackRows: ((rows: readonly number[]) => void) | undefined
  /** Records of each row not yet acknowledged; the row goes when its count reaches 0. */
  const remaining = new Map<number, number>()
  return {
    async open() {
      let Sqlite: typeof import('better-sqlite3')
      try {
        const mod = await import('better-sqlite3')
        // ESM gives the constructor as `default`; a CommonJS build may get it directly.
        Sqlite = mod.default ?? (mod as unknown as typeof import('better-sqlite3'))
      } catch (cause) {
        throw new CacheError(
          'ERR_CACHE_PEER_MISSING',
          'The default write-behind journal needs better-sqlite3: npm install better-sqlite3 (or pass a redisJournal).',
          { cause },
        )
      }
      try {
        if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
        const d = new Sqlite(path)
        d.pragma('journal_mode = WAL')
        d.pragma(`synchronous = ${options.durability === 'power' ? 'FULL' : 'NORMAL'}`)
        // One row per group commit: a group of writes costs one insert, not one per write. A plain rowid
        // (no AUTOINCREMENT, which writes sqlite_sequence on every commit) still only grows while rows remain.
        d.exec(`create table if not exists "${table}" (id integer primary key, records blob not null)`)
        const ins = d.prepare(`insert into "${table}" (records) values (?)`)
        const del = d.prepare(`delete from "${table}" where id = ?`)
        insert = (blob) => Number(ins.run(blob).lastInsertRowid)
        ackRows = d.transaction((rows: readonly number[]) => {
          for (const row of rows) del.run(row)
        })
        db = d
      } catch (cause) {
        throw new CacheError('ERR_CACHE_JOURNAL', `Cannot open the write-behind journal at ${path}: ${String(cause)}`, {
          cause,
        })
      }
    },
    append(records) {
      const ids: number[] = []
      for (let start = 0; start < records.length; start += GROUP_MAX) {
        const part = records.slice(start, start + GROUP_MAX)
        const row = insert!(encodeGroup(part))
        remaining.set(row, part.length)
        for (let i = 0; i < part.length; i++) ids.push(row * GROUP_IDS + i)
      }
      return ids
    },
    ack(ids) {
      const done: number[] = []
      for (const id of ids) {
        const row = Math.floor((id as number) / GROUP_IDS)
        const left = (remaining.get(row) ?? 1) - 1
        if (left > 0) remaining.set(row, left)
        else {
          remaining.delete(row)
          done.push(row)
        }
      }
      if (done.length > 0) ackRows!(done)
    },
    replay() {
      const rows = db!.prepare(`select id, records from "${table}" order by id`).all() as {
        id: number
        records: Buffer
      }[]
      const out: JournalEntry[] = []
      for (const row of rows) {
        const records = decodeGroup(row.records)
        remaining.set(row.id, records.length)
        for (let i = 0; i < records.length; i++) out.push({ ...records[i]!, id: row.id * GROUP_IDS + i })
      }
      return out
    },
    close() {
      db?.close()
      db = undefined
    },
  }
}

/** Records per journal row at most; an id is `row * GROUP_IDS + index`, exact in a double up to row 2^37. */
const GROUP_MAX = 65_535
const GROUP_IDS = 65_536

/** Frames records as: key length (u32), key (UTF-8), op (u8: 1 set, 0 delete), value length (u32), value. */
function encodeGroup(records: readonly JournalRecord[]): Buffer {
  const keys = records.map((r) => Buffer.from(r.key, 'utf8'))
  let size = 0
  for (let i = 0; i < records.length; i++) size += 9 + keys[i]!.length + (records[i]!.value?.byteLength ?? 0)
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    out.writeUInt32LE(keys[i]!.length, at)
    at += 4 + keys[i]!.copy(out, at + 4)
    out[at++] = r.op === 'set' ? 1 : 0
    const v = r.value ?? new Uint8Array(0)
    out.writeUInt32LE(v.byteLength, at)
    out.set(v, at + 4)
    at += 4 + v.byteLength
  }
  return out
}

function decodeGroup(buf: Buffer): JournalRecord[] {
  const out: JournalRecord[] = []
  let at = 0
  while (at < buf.length) {
    const keyLen = buf.readUInt32LE(at)
    const key = buf.toString('utf8', at + 4, at + 4 + keyLen)
    at += 4 + keyLen
    const op = buf[at++] === 1 ? 'set' : 'delete'
    const valLen = buf.readUInt32LE(at)
    const value = buf.subarray(at + 4, at + 4 + valLen)
    at += 4 + valLen
    out.push({ key, op, value: op === 'set' ? new Uint8Array(value) : undefined })
  }
  return out
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
