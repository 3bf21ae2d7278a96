/**
 * The write-behind journal: where an acknowledged write waits, durably, until
 * it reaches the source. Two implementations: a SQLite file (the default, via
 * better-sqlite3, loaded only when used) and a Redis stream (your ioredis client).
 * @module
 */
import cluster from 'node:cluster'
import { mkdirSync, realpathSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { Database, Statement } from 'better-sqlite3'
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
  /**
   * The journal file; created with its directory. The default gives each worker
   * of a PM2 app or a `node:cluster` its own file, named by its stable worker
   * id, so a restarted worker replays its own journal.
   * @defaultValue `'.cachestack/write-behind.db'`, or `'.cachestack/write-behind-<id>.db'` in a
   * worker (`NODE_APP_INSTANCE` under PM2, `cluster.worker.id` under node:cluster)
   */
  path?: string
  /**
   * The journal's name, so several write-behind queues of one process can
   * share one file (they share its connection too). Each queue needs its own
   * name: a second journal opened with the same path and name in one process
   * fails with `ERR_CACHE_JOURNAL` until the first is closed (after a restart
   * each would replay the other's writes). Names are kept as letters, digits
   * and `_` (others become `_`), so `'a-b'` and `'a_b'` are the same name.
   * @defaultValue `'default'`
   */
  name?: string
  /**
   * `'process'`: a write survives the process being killed (SIGKILL, crash):
   * WAL with `synchronous=NORMAL`, no fsync per commit. `'power'`: it also
   * survives power loss (`synchronous=FULL`, an fsync per commit; slower).
   * @defaultValue `'process'`
   */
  durability?: 'process' | 'power'
}

/** The default journal file: one per worker (PM2 instance or cluster worker), by its stable id. */
function defaultJournalPath(): string {
  const pm2 = process.env.NODE_APP_INSTANCE
  const worker = pm2 !== undefined && /^\d+$/.test(pm2) ? pm2 : cluster.isWorker ? String(cluster.worker?.id) : ''
  return `.cachestack/write-behind${worker === '' ? '' : `-${worker}`}.db`
}

/**
 * A journal in a SQLite file (better-sqlite3, an optional peer, loaded on open).
 *
 * The file belongs to one process while it is open (SQLite's exclusive locking
 * mode: a commit then takes no file locks and needs no shared-memory index,
 * which makes it a third cheaper). Another process opening the same file
 * fails with `ERR_CACHE_JOURNAL`; give each process its own path (the default
 * path already differs per PM2 instance and per cluster worker).
 * @param options - see {@link SqliteJournalOptions}
 * @example
 * ```ts
 * const journal = sqliteJournal({ path: './data/journal.db', name: 'orders' })
 * ```
 */
export function sqliteJournal(options: SqliteJournalOptions = {}): WriteJournal {
  const path = options.path ?? defaultJournalPath()
  const name = options.name ?? 'default'
  const table = `cachestack_journal_${name.replace(/[^A-Za-z0-9_]/g, '_')}`
  let file: SharedFile | undefined
  let insert: Statement<[Buffer]> | undefined
  let ackRows: ((rows: readonly number[]) => void) | undefined
  let clearRows: (() => void) | undefined
  /** Records of each row not yet acknowledged; the row goes when its count reaches 0. */
  const remaining = new Map<number, number>()
  /** `remaining` covers every row of the table (it was empty at open, or has been replayed). */
  let knowsAllRows = false
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
        file = openShared(Sqlite, path, options.durability === 'power')
      } catch (cause) {
        if (cause instanceof CacheError) throw cause
        throw new CacheError('ERR_CACHE_JOURNAL', `Cannot open the write-behind journal at ${path}: ${String(cause)}`, {
          cause,
        })
      }
      const d = file.db
      // One journal per table: two queues on one table would each replay the other's writes after a restart.
      const holder = file.tables.get(table)
      if (holder !== undefined) {
        releaseShared(file)
        file = undefined
        throw new CacheError(
          'ERR_CACHE_JOURNAL',
          `The write-behind journal "${name}" at ${path} is already open in this process${holder === name ? '' : ` (as "${holder}": both names give the table ${table})`}: give each write-behind queue its own journal name (sqliteJournal({ path, name })), or close the other queue first.`,
        )
      }
      try {
        prepareTable(d, table, path)
        insert = d.prepare(`insert into "${table}" (records) values (?)`)
        const del = d.prepare(`delete from "${table}" where id = ?`)
        ackRows = d.transaction((rows: readonly number[]) => {
          for (const row of rows) del.run(row)
        })
        // Emptying the whole table frees its pages at once; deleting row by row rewrites each page.
        const clear = d.prepare(`delete from "${table}"`)
        clearRows = () => void clear.run()
        knowsAllRows = d.prepare(`select 1 from "${table}" limit 1`).get() === undefined
        file.tables.set(table, name)
      } catch (cause) {
        releaseShared(file)
        file = undefined
        if (cause instanceof CacheError) throw cause
        throw new CacheError('ERR_CACHE_JOURNAL', `Cannot open the write-behind journal at ${path}: ${String(cause)}`, {
          cause,
        })
      }
    },
    append(records) {
      const ids: number[] = []
      for (let start = 0; start < records.length; start += GROUP_MAX) {
        const end = Math.min(records.length, start + GROUP_MAX)
        // One statement in autocommit mode: one durable commit per group.
        const row = Number(insert!.run(encodeGroup(records, start, end)).lastInsertRowid)
        remaining.set(row, end - start)
        const first = row * GROUP_IDS
        for (let i = 0; i < end - start; i++) ids.push(first + i)
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
      if (done.length === 0) return
      // Nothing left to keep (the usual end of a flush that caught up): empty the table in one go.
      if (remaining.size === 0 && knowsAllRows) clearRows!()
      else ackRows!(done)
    },
    replay() {
      const rows = file!.db.prepare(`select id, records from "${table}" order by id`).all() as {
        id: number
        records: Buffer
      }[]
      const out: JournalEntry[] = []
      knowsAllRows = true
      for (const row of rows) {
        const records = decodeGroup(row.records)
        remaining.set(row.id, records.length)
        for (let i = 0; i < records.length; i++) out.push({ ...records[i]!, id: row.id * GROUP_IDS + i })
      }
      return out
    },
    close() {
      if (file !== undefined) {
        file.tables.delete(table)
        releaseShared(file)
      }
      file = undefined
    },
  }
}

/** Records per journal row at most; an id is `row * GROUP_IDS + index`, exact in a double up to row 2^37. */
const GROUP_MAX = 65_535
const GROUP_IDS = 65_536

/** WAL pages between automatic checkpoints (SQLite's default is 1,000). */
const WAL_PAGES = 10_000

/** An open journal file and how many journals of this process use it. */
interface SharedFile {
  key: string
  db: Database
  users: number
  /** The journal of this process open on each table of the file, by the name it was given. */
  tables: Map<string, string>
}

/** Journal files open in this process, by absolute path: an exclusively locked file admits one connection. */
const openFiles = new Map<string, SharedFile>()

function openShared(Sqlite: typeof import('better-sqlite3'), path: string, power: boolean): SharedFile {
  const memory = path === ':memory:'
  let key = ''
  if (!memory) {
    const full = resolve(path)
    mkdirSync(dirname(full), { recursive: true })
    // The same file under another name (a symbolic link on the way) must find the same connection.
    key = join(realpathSync(dirname(full)), basename(full))
  }
  let file = memory ? undefined : openFiles.get(key)
  if (file === undefined) {
    // No busy wait: the only other holder of the lock is another process with the same file.
    const db = new Sqlite(path, { timeout: 0 })
    try {
      // Exclusive before WAL: the WAL index then lives in this process's memory (no -shm file, no
      // shared-memory locks), and a commit takes no file lock. The lock is taken now, not at the first write.
      db.pragma('locking_mode = EXCLUSIVE')
      db.pragma('journal_mode = WAL')
      // A checkpoint (the WAL copied into the file, with two fsyncs) every 10,000 pages rather than 1,000: a
      // write-behind journal is mostly appended to and soon deleted, and each checkpoint stalls the commits.
      // The WAL grows to about 40 MB between checkpoints; closing the journal checkpoints and removes it.
      db.pragma(`wal_autocheckpoint = ${WAL_PAGES}`)
      db.exec('begin exclusive; commit')
    } catch (cause) {
      db.close()
      const code = (cause as { code?: unknown }).code
      if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
        throw new CacheError(
          'ERR_CACHE_JOURNAL',
          `The write-behind journal ${path} is in use by another process: give each process (or worker) its own journal path.`,
          { cause },
        )
      }
      throw cause
    }
    file = { key, db, users: 0, tables: new Map() }
    if (!memory) openFiles.set(key, file)
  }
  // One connection, one setting: a journal that asks for power-loss durability gets it for the whole file.
  if (power) file.db.pragma('synchronous = FULL')
  else if (file.users === 0) file.db.pragma('synchronous = NORMAL')
  file.users++
  return file
}

function releaseShared(file: SharedFile): void {
  if (--file.users > 0) return
  if (openFiles.get(file.key) === file) openFiles.delete(file.key)
  file.db.close()
}

/**
 * Creates the journal table, or checks the one in the file. Layouts:
 * 1. one row per write (`id, key, op, value`), written by cachestack before group rows: its
 *    rows are moved into one group row of the current layout, in order, so nothing is lost;
 * 2. one row per group commit (`id, records`): the records framed by {@link encodeGroup}.
 */
function prepareTable(db: Database, table: string, path: string): void {
  const columns = (db.pragma(`table_info("${table}")`) as { name: string }[]).map((c) => c.name).join(',')
  if (columns === 'id,records') return
  // One row per group commit: a group of writes costs one insert, not one per write. A plain rowid
  // (no AUTOINCREMENT, which writes sqlite_sequence on every commit) still only grows while rows remain.
  const create = (name: string) => db.exec(`create table "${name}" (id integer primary key, records blob not null)`)
  if (columns === '') {
    create(table)
    return
  }
  if (columns !== 'id,key,op,value') {
    throw new CacheError(
      'ERR_CACHE_JOURNAL',
      `The table ${table} in ${path} is not a write-behind journal this version of cachestack can read (columns: ${columns}). Replay it with the version that wrote it, or use another path or name.`,
    )
  }
  db.transaction(() => {
    const rows = db.prepare(`select key, op, value from "${table}" order by id`).all() as {
      key: string
      op: number
      value: Buffer | null
    }[]
    const records: JournalRecord[] = rows.map((r) => ({
      key: r.key,
      op: r.op === 1 ? 'set' : 'delete',
      value: r.value === null ? undefined : r.value,
    }))
    const next = `${table}_v2`
    create(next)
    const ins = db.prepare(`insert into "${next}" (records) values (?)`)
    for (let start = 0; start < records.length; start += GROUP_MAX) {
      ins.run(encodeGroup(records, start, Math.min(records.length, start + GROUP_MAX)))
    }
    db.exec(`drop table "${table}"; alter table "${next}" rename to "${table}"`)
  })()
}

/**
 * Frames `records[start..end)` as: key length (u32), key (UTF-8), op (u8: 1 set, 0 delete), value
 * length (u32), value. Keys are written straight into the frame (a UTF-16 unit takes at most 3 bytes
 * of UTF-8, so the frame is sized for the worst case and trimmed): no buffer per key.
 */
function encodeGroup(records: readonly JournalRecord[], start: number, end: number): Buffer {
  let size = 0
  for (let i = start; i < end; i++) {
    const r = records[i]!
    size += 9 + 3 * r.key.length + (r.value === undefined ? 0 : r.value.byteLength)
  }
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (let i = start; i < end; i++) {
    const r = records[i]!
    const keyLen = writeKey(out, r.key, at + 4)
    writeU32(out, keyLen, at)
    at += 4 + keyLen
    const v = r.value
    if (v === undefined || r.op !== 'set') {
      out[at] = r.op === 'set' ? 1 : 0
      writeU32(out, 0, at + 1)
      at += 5
    } else {
      const n = v.byteLength
      out[at] = 1
      writeU32(out, n, at + 1)
      at += 5
      // Small values (the usual JSON of a number or a short string) copy faster in a loop than through `set`.
      if (n <= 32) for (let j = 0; j < n; j++) out[at + j] = v[j]!
      else out.set(v, at)
      at += n
    }
  }
  return out.subarray(0, at)
}

/** Writes `n` (< 2^32) little-endian at `at`, without `writeUInt32LE`'s argument checks (the frame is sized). */
function writeU32(out: Buffer, n: number, at: number): void {
  out[at] = n & 0xff
  out[at + 1] = (n >>> 8) & 0xff
  out[at + 2] = (n >>> 16) & 0xff
  out[at + 3] = n >>> 24
}

/** Writes `key` as UTF-8 at `at`; returns its length. Short ASCII keys (the usual) skip the native call. */
function writeKey(out: Buffer, key: string, at: number): number {
  const n = key.length
  if (n <= 64) {
    let i = 0
    for (; i < n; i++) {
      const c = key.charCodeAt(i)
      if (c > 0x7f) break
      out[at + i] = c
    }
    if (i === n) return n
  }
  return out.write(key, at, 'utf8')
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
  /**
   * The stream's key: one per write-behind queue, and one per process or worker.
   * A second journal opened on the same stream key in one process fails with
   * `ERR_CACHE_JOURNAL` until the first is closed (after a restart each queue
   * would replay the other's writes). Keys are compared by name alone, whatever
   * the client's server or database. Two processes on one stream are not
   * detected: give each its own key (the default is the same everywhere).
   * @defaultValue `'cachestack:write-behind:default'`
   */
  stream?: string
}

/** Stream keys of the Redis journals open in this process: one journal per stream. */
const openStreams = new Set<string>()

/**
 * A journal in a Redis stream. Durable as far as your Redis is: with
 * `appendonly yes` and `appendfsync always` an acknowledged write survives a
 * Redis restart too; with `everysec`, up to a second of writes may be lost
 * if Redis itself crashes (a crash of your process loses nothing).
 *
 * The stream belongs to one write-behind queue: opening a second journal on the
 * same stream key in this process fails with `ERR_CACHE_JOURNAL` (closing the
 * first frees it). Another process on the same stream is not detected, and is
 * just as wrong: each process replays the whole stream when it starts, so it
 * would flush the other's pending writes too (an older value may then land
 * after a newer one) and delete them from the stream. Give each process or
 * worker its own stream key, for example with the host name and worker id.
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
  let held = false
  return {
    async open() {
      if (held) return
      // One journal per stream: two queues on one stream would each replay (and flush) the other's writes after a restart.
      if (openStreams.has(stream)) {
        throw new CacheError(
          'ERR_CACHE_JOURNAL',
          `The write-behind journal on the Redis stream "${stream}" is already open in this process: give each write-behind queue its own stream (redisJournal({ client, stream })), or close the other queue first.`,
        )
      }
      openStreams.add(stream)
      held = true
    },
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
    close() {
      if (held) openStreams.delete(stream)
      held = false
    },
  }
}
