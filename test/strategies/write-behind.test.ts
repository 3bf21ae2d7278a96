import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, manualClock, memoryStore } from '../../src/index.js'
import {
  redisJournal,
  sqliteJournal,
  type WriteBehindEntry,
  type WriteJournal,
  writeBehind,
} from '../../src/strategies.js'
import { REDIS_HOST, REDIS_PORT, REDIS_URL } from '../helpers/redis.js'

const dir = mkdtempSync(join(tmpdir(), 'cs-wb-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const journalFile = () => sqliteJournal({ path: join(dir, `j${++n}.db`) })
const newCache = () => createCache({ tiers: [memoryStore()] })
/** A queue over a fresh cache whose flushes only record their batches (and wait for close, or a full batch). */
function recording() {
  const cache = newCache()
  const batches: WriteBehindEntry<number>[][] = []
  const wb = writeBehind<number>({ cache, flush: (b) => void batches.push(b), journal: journalFile(), maxDelay: '1h' })
  return { cache, batches, wb }
}

describe('writeBehind', () => {
  it('acknowledges into the cache at once; coalesces ten writes of a key into one flush of the last value', async () => {
    const { cache, batches, wb } = recording()
    for (let i = 1; i <= 10; i++) await wb.write('a', i)
    await wb.write('b', 1)
    expect(await cache.get('a')).toBe(10)
    expect(batches).toEqual([])
    expect(wb.stats()).toMatchObject({ backlog: 2, journaled: 11, writes: 11, coalesced: 9 })
    await wb.flush()
    expect(batches).toEqual([
      [
        { key: 'a', op: 'set', value: 10 },
        { key: 'b', op: 'set', value: 1 },
      ],
    ])
    expect(wb.stats()).toMatchObject({ backlog: 0, journaled: 0, flushes: 1, flushed: 2, lag: 0 })
    await wb.close()
  })

  it('flushes a full batch without waiting, in batches of maxBatch', async () => {
    const batches: number[] = []
    let resolveFull!: () => void
    const full = new Promise<void>((r) => (resolveFull = r))
    const wb = writeBehind<number>({
      cache: newCache(),
      flush: (b) => {
        batches.push(b.length)
        if (batches.length === 2) resolveFull()
      },
      journal: journalFile(),
      maxBatch: 10,
      maxDelay: '1h',
    })
    await Promise.all(Array.from({ length: 25 }, (_, i) => wb.write(`k${i}`, i)))
    await full
    expect(batches).toEqual([10, 10])
    await wb.close()
    expect(batches).toEqual([10, 10, 5])
  })

  it('writes of a key in one group commit journal only the last; the cache, the flush and a replay see it', async () => {
    const path = join(dir, 'same-group.db')
    const cache = newCache()
    const first = writeBehind<number>({
      cache,
      journal: sqliteJournal({ path }),
      flush: () => {
        throw new Error('down')
      },
      maxDelay: '1h',
      retry: { min: 1, max: 2 },
      closeTimeout: 10,
    })
    await first.ready
    // Issued in one turn: one group commit.
    await Promise.all([
      first.write('a', 1),
      first.write('b', 1),
      first.write('a', 2),
      first.delete('b'),
      first.write('a', 3),
    ])
    expect(first.stats()).toMatchObject({ writes: 5, coalesced: 3, journaled: 2, backlog: 2 })
    expect(await cache.get('a')).toBe(3)
    expect(await cache.get('b')).toBeUndefined()
    await expect(first.close()).rejects.toMatchObject({ code: 'ERR_CACHE_FLUSH' })

    const got: WriteBehindEntry<number>[] = []
    const again = writeBehind<number>({
      cache: newCache(),
      journal: sqliteJournal({ path }),
      flush: (b) => void got.push(...b),
    })
    await again.ready
    expect(again.stats().replayed).toBe(2)
    await again.close()
    expect(got).toEqual([
      { key: 'a', op: 'set', value: 3 },
      { key: 'b', op: 'delete', value: undefined },
    ])
  })

  it('writers that each await their writes still let timers run (group commits chain only so far)', async () => {
    const wb = writeBehind<number>({ cache: newCache(), flush: () => {}, journal: journalFile(), maxDelay: '1h' })
    await wb.ready
    let ticks = 0
    let stop = false
    const tick = () => {
      ticks++
      if (!stop) setImmediate(tick)
    }
    setImmediate(tick)
    let next = 0
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < 400) await wb.write(`k${next++ % 7}`, next)
      }),
    )
    stop = true
    // 100 groups of 4 writes: without a bound they would all commit in one turn, starving the immediates.
    expect(ticks).toBeGreaterThan(2)
    await wb.close()
  })

  it('flushes after maxDelay', async () => {
    let flushed!: (b: WriteBehindEntry<string>[]) => void
    const got = new Promise<WriteBehindEntry<string>[]>((r) => (flushed = r))
    const wb = writeBehind<string>({ cache: newCache(), flush: (b) => flushed(b), journal: journalFile(), maxDelay: 5 })
    await wb.write('x', 'y')
    expect(await got).toEqual([{ key: 'x', op: 'set', value: 'y' }])
    await wb.close()
  })

  it('retries a failing flush with backoff, never dropping or reordering a key', async () => {
    const source = new Map<string, number>()
    const history: string[] = []
    let failures = 3
    const errors: unknown[] = []
    const wb = writeBehind<number>({
      cache: newCache(),
      journal: journalFile(),
      maxDelay: '1h',
      retry: { min: 1, max: 4 },
      onError: (e) => errors.push(e),
      flush: async (batch) => {
        if (failures-- > 0) throw new Error('db down')
        for (const e of batch) {
          history.push(`${e.key}=${e.value}`)
          source.set(e.key, e.value!)
        }
      },
    })
    await wb.write('a', 1)
    await wb.write('b', 1)
    const flushing = wb.flush()
    // Writes while the first batch is being retried are flushed after it.
    while (errors.length === 0) await new Promise((r) => setImmediate(r))
    await wb.write('a', 2)
    await flushing
    await wb.flush()
    expect(errors).toHaveLength(3)
    expect(history).toEqual(['a=1', 'b=1', 'a=2'])
    expect(source.get('a')).toBe(2)
    expect(wb.stats()).toMatchObject({ failures: 3, backlog: 0, journaled: 0 })
    await wb.close()
  })

  it('delete() removes from the cache now and reaches the source as a delete', async () => {
    const { cache, batches, wb } = recording()
    await wb.write('a', 1)
    await wb.delete('a')
    expect(await cache.get('a')).toBeUndefined()
    await wb.close()
    expect(batches).toEqual([[{ key: 'a', op: 'delete', value: undefined }]])
    await expect(wb.write('a', 2)).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' })
  })

  it('reports backlog and lag by the clock', async () => {
    const clock = manualClock()
    const wb = writeBehind<number>({
      cache: newCache(),
      flush: () => {},
      journal: journalFile(),
      maxDelay: '1h',
      clock,
    })
    await wb.write('a', 1)
    clock.advance('3s')
    await wb.write('b', 1)
    expect(wb.stats()).toMatchObject({ backlog: 2, lag: 3000 })
    await wb.close()
    expect(wb.stats()).toMatchObject({ backlog: 0, lag: 0 })
  })

  it('close() gives up after closeTimeout with ERR_CACHE_FLUSH; the next start replays the writes', async () => {
    const path = join(dir, 'giveup.db')
    const wb = writeBehind<{ n: bigint; at: Date }>({
      cache: newCache(),
      journal: sqliteJournal({ path }),
      flush: () => {
        throw new Error('still down')
      },
      maxDelay: '1h',
      retry: { min: 1, max: 2 },
      closeTimeout: 20,
    })
    await wb.write('a', { n: 1n, at: new Date(0) })
    await wb.write('a', { n: 2n, at: new Date(1) })
    await wb.write('b', { n: 3n, at: new Date(2) })
    await expect(wb.close()).rejects.toMatchObject({ code: 'ERR_CACHE_FLUSH' })

    const cache = newCache()
    const got: WriteBehindEntry<{ n: bigint; at: Date }>[] = []
    const again = writeBehind<{ n: bigint; at: Date }>({
      cache,
      journal: sqliteJournal({ path }),
      flush: (b) => void got.push(...b),
      maxDelay: '1h',
    })
    await again.ready
    expect(again.stats()).toMatchObject({ replayed: 3, backlog: 2 })
    // The replayed values are put back in the cache, so reads see acknowledged writes.
    expect(await cache.get('a')).toEqual({ n: 2n, at: new Date(1) })
    await again.close()
    expect(got).toEqual([
      { key: 'a', op: 'set', value: { n: 2n, at: new Date(1) } },
      { key: 'b', op: 'set', value: { n: 3n, at: new Date(2) } },
    ])
  })

  it('a journal that fails rejects the write and leaves the cache untouched', async () => {
    const cache = newCache()
    const broken: WriteJournal = {
      open() {},
      append() {
        throw new Error('disk full')
      },
      ack() {},
      replay: () => [],
      close() {},
    }
    const wb = writeBehind<number>({ cache, flush: () => {}, journal: broken })
    await expect(wb.write('a', 1)).rejects.toMatchObject({ code: 'ERR_CACHE_JOURNAL' })
    expect(await cache.get('a')).toBeUndefined()
    await wb.close()
  })

  it('validates options', () => {
    const cache = newCache()
    expect(() => writeBehind({ cache, flush: 1 as never })).toThrow(/flush/)
    expect(() => writeBehind({ cache, flush: () => {}, maxBatch: 0 })).toThrow(/maxBatch/)
  })
})

describe('writeBehind with a Redis stream journal', () => {
  const stream = `cs-test-${process.pid}-${Math.floor(Math.random() * 1e9)}:wb`
  let client: Redis | undefined
  beforeAll(async () => {
    const c = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await c.connect()
      client = c
    } catch (error) {
      c.disconnect()
      if (process.env.CI === 'true') throw error
      console.warn(`Redis at ${REDIS_URL} is unreachable; skipping (${String(error)})`)
    }
  })
  afterAll(async () => {
    await client?.del(stream)
    client?.disconnect()
  })

  it('journals to the stream, replays after a failed close, and acknowledges by XDEL', async (ctx) => {
    if (client === undefined) return ctx.skip()
    const first = writeBehind<string>({
      cache: newCache(),
      journal: redisJournal({ client, stream }),
      flush: () => {
        throw new Error('down')
      },
      maxDelay: '1h',
      retry: { min: 1, max: 2 },
      closeTimeout: 10,
    })
    await first.write('a', 'one')
    await first.write('a', 'two')
    await first.write('b', 'three')
    expect(await client.xlen(stream)).toBe(3)
    await expect(first.close()).rejects.toMatchObject({ code: 'ERR_CACHE_FLUSH' })

    const got: WriteBehindEntry<string>[] = []
    const second = writeBehind<string>({
      cache: newCache(),
      journal: redisJournal({ client, stream }),
      flush: (b) => void got.push(...b),
      maxDelay: '1h',
    })
    await second.close()
    expect(got).toEqual([
      { key: 'a', op: 'set', value: 'two' },
      { key: 'b', op: 'set', value: 'three' },
    ])
    expect(await client.xlen(stream)).toBe(0)
  })
})
