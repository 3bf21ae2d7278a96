import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, defaultSerializer, memoryStore } from '../../src/index.js'
import {
  redisJournal,
  sqliteJournal,
  type WriteBehindEntry,
  type WriteJournal,
  writeBehind,
} from '../../src/strategies.js'
import { redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'

const dir = mkdtempSync(join(tmpdir(), 'cs-journal-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const newCache = () => createCache({ tiers: [memoryStore()] })
const bytes = (value: unknown) => defaultSerializer.serialize(value)
async function rejection(p: Promise<unknown> | unknown): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

/**
 * Two write-behind queues on one journal: the second fails with ERR_CACHE_JOURNAL,
 * the first keeps working, and once it is closed (`afterFirst` checks what it left)
 * a new queue may use the journal again.
 */
async function expectOneQueuePerJournal(journal: () => WriteJournal, afterFirst?: () => Promise<void>): Promise<void> {
  const flushed: WriteBehindEntry<number>[] = []
  const make = () =>
    writeBehind<number>({
      cache: newCache(),
      journal: journal(),
      flush: (batch) => void flushed.push(...batch),
      maxDelay: '1h',
    })
  const first = make()
  await first.write('a', 1)
  const second = make()
  expect(await rejection(second.ready)).toMatchObject({ code: 'ERR_CACHE_JOURNAL' })
  expect(await rejection(second.write('b', 2))).toMatchObject({ code: 'ERR_CACHE_JOURNAL' })
  await second.close().catch(() => {})
  await first.write('c', 3)
  await first.close()
  expect(flushed).toEqual([
    { key: 'a', op: 'set', value: 1 },
    { key: 'c', op: 'set', value: 3 },
  ])
  await afterFirst?.()
  const third = make() // the journal is free again
  await third.ready
  await third.write('d', 4)
  await third.close()
  expect(flushed.map((e) => e.key)).toEqual(['a', 'c', 'd'])
}

describe('sqliteJournal', () => {
  it('round-trips groups of records (keys of any script, empty and large values, deletes) in order', async () => {
    const j = sqliteJournal({ path: join(dir, 'roundtrip.db') })
    await j.open()
    const big = new Uint8Array(100_000).fill(7)
    const first = [
      { key: 'plain', op: 'set' as const, value: bytes(1) },
      { key: 'ünïcødé-日本-🙂', op: 'set' as const, value: big },
      { key: 'gone', op: 'delete' as const, value: undefined },
    ]
    const ids1 = await j.append(first)
    const ids2 = await j.append([{ key: 'empty', op: 'set', value: new Uint8Array(0) }])
    expect(ids1).toHaveLength(3)
    expect([...ids1, ...ids2]).toEqual([...ids1, ...ids2].sort((a, b) => Number(a) - Number(b)))
    await j.close()

    const again = sqliteJournal({ path: join(dir, 'roundtrip.db') })
    await again.open()
    const entries = await again.replay()
    expect(entries.map((e) => [e.key, e.op, e.value === undefined ? undefined : [...e.value].length])).toEqual([
      ['plain', 'set', bytes(1).length],
      ['ünïcødé-日本-🙂', 'set', 100_000],
      ['gone', 'delete', undefined],
      ['empty', 'set', 0],
    ])
    expect(entries[1]!.value).toEqual(big)
    // A group's row goes once all of its records are acknowledged, not before.
    await again.ack(entries.slice(0, 2).map((e) => e.id))
    await again.close()
    const third = sqliteJournal({ path: join(dir, 'roundtrip.db') })
    await third.open()
    expect((await third.replay()).map((e) => e.key)).toEqual(['plain', 'ünïcødé-日本-🙂', 'gone', 'empty'])
    await third.ack((await third.replay()).map((e) => e.id))
    expect(await third.replay()).toEqual([])
    await third.close()
  })

  it('acknowledging everything it wrote never removes rows it does not know of', async () => {
    const path = join(dir, 'unknown-rows.db')
    const rec = (key: string) => [{ key, op: 'set' as const, value: bytes(key) }]
    const first = sqliteJournal({ path })
    await first.open()
    await first.append(rec('left-by-a-crash'))
    await first.close()
    // Rows from before, not replayed: acknowledging this journal's own writes leaves them.
    const second = sqliteJournal({ path })
    await second.open()
    await second.ack(await second.append(rec('mine')))
    await second.ack(await second.append(rec('mine again')))
    await second.close()
    const third = sqliteJournal({ path })
    await third.open()
    expect((await third.replay()).map((e) => e.key)).toEqual(['left-by-a-crash'])
    await third.close()
  })

  it('refuses a second journal with the same path and name in one process, naming both; closing the first frees it', async () => {
    const path = join(dir, 'same-name.db')
    const first = sqliteJournal({ path, name: 'orders' })
    await first.open()
    await first.append([{ key: 'k', op: 'set', value: bytes(1) }])
    const second = sqliteJournal({ path, name: 'orders' })
    const error = await rejection(second.open())
    expect(error.code).toBe('ERR_CACHE_JOURNAL')
    expect(error.message).toContain(path)
    expect(error.message).toContain('"orders"')
    await second.close() // never opened: nothing to release
    // Names that differ only where the table name cannot hold them are the same table.
    const dashed = sqliteJournal({ path, name: 'eu-orders' })
    await dashed.open()
    const underscored = await rejection(sqliteJournal({ path, name: 'eu_orders' }).open())
    expect(underscored.message).toContain('"eu_orders"')
    expect(underscored.message).toContain('"eu-orders"')
    await dashed.close()
    // Another name on the same file opens beside it, and the first keeps working.
    const other = sqliteJournal({ path, name: 'invoices' })
    await other.open()
    await first.append([{ key: 'k2', op: 'set', value: bytes(2) }])
    await first.close()
    const reopened = sqliteJournal({ path, name: 'orders' })
    await reopened.open()
    expect((await reopened.replay()).map((e) => e.key)).toEqual(['k', 'k2'])
    expect(await other.replay()).toEqual([])
    await reopened.close()
    await other.close()
  })

  it('a second write-behind queue on the same journal path and name fails with ERR_CACHE_JOURNAL; the first is unharmed', async () => {
    const path = join(dir, 'same-queue.db')
    await expectOneQueuePerJournal(() => sqliteJournal({ path, name: 'stock' }))
  })

  it('two journals (names) of one process share one file', async () => {
    const path = join(dir, 'shared.db')
    const got: Record<string, WriteBehindEntry<number>[]> = { a: [], b: [] }
    const make = (name: 'a' | 'b', flush: (b: WriteBehindEntry<number>[]) => void) =>
      writeBehind<number>({
        cache: newCache(),
        journal: sqliteJournal({ path, name }),
        flush,
        maxDelay: '1h',
        retry: { min: 1, max: 2 },
        closeTimeout: 10,
      })
    const a = make('a', () => {
      throw new Error('down')
    })
    const b = make('b', (batch) => void got.b!.push(...batch))
    await Promise.all([a.write('x', 1), b.write('x', 2)])
    await b.close()
    await a.write('y', 3) // still open after the other journal closed
    await expect(a.close()).rejects.toMatchObject({ code: 'ERR_CACHE_FLUSH' })
    const again = make('a', (batch) => void got.a!.push(...batch))
    await again.ready
    expect(again.stats().replayed).toBe(2)
    await again.close()
    expect(got.a).toEqual([
      { key: 'x', op: 'set', value: 1 },
      { key: 'y', op: 'set', value: 3 },
    ])
    expect(got.b).toEqual([{ key: 'x', op: 'set', value: 2 }])
  })

  it('finds the same connection for the file under another path (a symbolic link)', async () => {
    mkdirSync(join(dir, 'real'))
    symlinkSync(join(dir, 'real'), join(dir, 'link'))
    const a = sqliteJournal({ path: join(dir, 'real', 'j.db'), name: 'a' })
    const b = sqliteJournal({ path: join(dir, 'link', 'j.db'), name: 'b' })
    await a.open()
    await b.open()
    await b.append([{ key: 'k', op: 'delete', value: undefined }])
    await a.close()
    expect((await b.replay()).map((e) => e.key)).toEqual(['k'])
    await b.close()
  })

  it('refuses a file another process holds, with ERR_CACHE_JOURNAL, and opens it once that process is gone', async () => {
    const journal = join(dir, 'other-process.db')
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'write-behind-child.ts'),
        'write',
        join(dir, 'other-app.db'),
        journal,
        '5',
        '5',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise((r) => child.on('exit', r))
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          if (chunk.includes('ACKED')) resolve()
        })
        child.on('exit', (code) => reject(new Error(`child exited (${code}) before ACKED`)))
      })
      const error = await rejection(sqliteJournal({ path: journal }).open())
      expect(error).toMatchObject({ code: 'ERR_CACHE_JOURNAL' })
      expect(error.message).toMatch(/in use by another process/)
    } finally {
      child.kill('SIGKILL')
      await exited
    }
    const j = sqliteJournal({ path: journal })
    await j.open()
    await j.close()
  }, 30_000)

  it('by default gives each PM2 instance its own file, so workers open theirs side by side', async () => {
    const cwd = join(dir, 'pm2-app')
    mkdirSync(cwd)
    const fixture = join(import.meta.dirname, 'fixtures', 'default-journal.ts')
    // The workers run in another directory: load tsx by its path, not by name.
    const tsx = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
    const workers = ['0', '1'].map((id) =>
      spawn(process.execPath, ['--import', tsx, fixture], {
        cwd,
        env: { ...process.env, NODE_APP_INSTANCE: id },
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    )
    const exited = workers.map((w) => new Promise((r) => w.on('exit', r)))
    const said = await Promise.all(
      workers.map(
        (w) =>
          new Promise<string>((resolve) => {
            let out = ''
            w.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
              out += chunk
              if (/OPEN|FAILED/.test(out)) resolve(out.trim())
            })
            w.on('exit', () => resolve(out.trim()))
          }),
      ),
    )
    for (const w of workers) w.stdin!.end()
    await Promise.all(exited)
    expect(said).toEqual(['OPEN', 'OPEN'])
    expect(
      readdirSync(join(cwd, '.cachestack'))
        .filter((f) => f.endsWith('.db'))
        .sort(),
    ).toEqual(['write-behind-0.db', 'write-behind-1.db'])
  }, 30_000)

  it('refuses a file that another connection holds, with ERR_CACHE_JOURNAL', async () => {
    const path = join(dir, 'held.db')
    const other = new Database(path)
    other.pragma('locking_mode = EXCLUSIVE')
    other.exec('create table t (x); begin exclusive; insert into t values (1); commit')
    const j = sqliteJournal({ path })
    const error = await rejection(j.open())
    expect(error).toMatchObject({ code: 'ERR_CACHE_JOURNAL' })
    expect(error.message).toMatch(/in use by another process/)
    other.close()
    await j.open()
    await j.close()
  })

  it('replays a journal of the one-row-per-write layout, in order, and moves it to the current layout', async () => {
    const path = join(dir, 'old.db')
    const old = new Database(path)
    old.exec(
      'create table cachestack_journal_default (id integer primary key autoincrement, key text not null, op integer not null, value blob)',
    )
    const ins = old.prepare('insert into cachestack_journal_default (key, op, value) values (?, ?, ?)')
    ins.run('a', 1, Buffer.from(bytes({ n: 1 })))
    ins.run('b', 1, Buffer.from(bytes('two')))
    ins.run('a', 1, Buffer.from(bytes({ n: 3 })))
    ins.run('c', 0, null)
    old.close()

    const got: WriteBehindEntry<unknown>[] = []
    const cache = newCache()
    const wb = writeBehind<unknown>({
      cache,
      journal: sqliteJournal({ path }),
      flush: (b) => void got.push(...b),
      maxDelay: '1h',
    })
    await wb.ready
    expect(wb.stats()).toMatchObject({ replayed: 4, backlog: 3 })
    expect(await cache.get('a')).toEqual({ n: 3 })
    await wb.close()
    expect(got).toEqual([
      { key: 'a', op: 'set', value: { n: 3 } },
      { key: 'b', op: 'set', value: 'two' },
      { key: 'c', op: 'delete', value: undefined },
    ])
    const check = new Database(path, { readonly: true })
    const columns = (check.pragma('table_info(cachestack_journal_default)') as { name: string }[]).map((c) => c.name)
    expect(columns).toEqual(['id', 'records'])
    expect(check.prepare('select count(*) as n from cachestack_journal_default').get()).toEqual({ n: 0 })
    check.close()
  })

  it('refuses a table of an unknown layout, naming it', async () => {
    const path = join(dir, 'unknown.db')
    const other = new Database(path)
    other.exec('create table cachestack_journal_default (id integer primary key, payload text)')
    other.close()
    const j = sqliteJournal({ path })
    const error = await rejection(j.open())
    expect(error).toMatchObject({ code: 'ERR_CACHE_JOURNAL' })
    expect(error.message).toMatch(/not a write-behind journal .* \(columns: id,payload\)/)
    // The failed open released the file.
    const again = new Database(path)
    again.exec('drop table cachestack_journal_default')
    again.close()
    await j.open()
    await j.close()
  })
})

describe('redisJournal', () => {
  const prefix = uniquePrefix('journal')
  const redis = redisClientFor(prefix)
  let up = false
  beforeAll(async () => {
    up = await redisAvailable()
  })

  it('refuses a second journal on the same stream in one process, naming it; closing the first frees it', async (ctx) => {
    if (!up) return ctx.skip()
    const { client } = redis
    const stream = `${prefix}orders`
    const first = redisJournal({ client, stream })
    await first.open()
    await first.append([{ key: 'k', op: 'set', value: bytes(1) }])
    const second = redisJournal({ client, stream })
    const error = await rejection(second.open())
    expect(error.code).toBe('ERR_CACHE_JOURNAL')
    expect(error.message).toContain(`"${stream}"`)
    await second.close() // never opened: must not free the first's stream
    expect(await rejection(redisJournal({ client, stream }).open())).toMatchObject({ code: 'ERR_CACHE_JOURNAL' })
    // Another stream opens beside it, and the first keeps working.
    const other = redisJournal({ client, stream: `${prefix}invoices` })
    await other.open()
    await first.append([{ key: 'k2', op: 'set', value: bytes(2) }])
    await first.close()
    const reopened = redisJournal({ client, stream })
    await reopened.open()
    expect((await reopened.replay()).map((e) => e.key)).toEqual(['k', 'k2'])
    expect(await other.replay()).toEqual([])
    await reopened.close()
    await other.close()
  })

  it('a second write-behind queue on the same stream fails with ERR_CACHE_JOURNAL; the first is unharmed', async (ctx) => {
    if (!up) return ctx.skip()
    const { client } = redis
    const stream = `${prefix}stock`
    await expectOneQueuePerJournal(
      () => redisJournal({ client, stream }),
      async () => expect(await client.xlen(stream)).toBe(0),
    )
  })
})
