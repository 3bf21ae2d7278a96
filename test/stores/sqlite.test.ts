import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CacheError, createCache, manualClock, memoryStore } from '../../src/index.js'
import { SqliteStore, sqliteStore } from '../../src/sqlite.js'
import { storeContract } from '../contract/store-contract.js'
import { lockFromAnotherProcess } from '../helpers/sqlite-lock.js'

const dir = mkdtempSync(join(tmpdir(), 'cs-sqlite-'))
const fixtures = new URL('./fixtures/', import.meta.url).pathname
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

const contractPath = join(dir, 'contract', 'cache.db')
let lockHolder: ChildProcess | undefined

storeContract('sqlite (file)', {
  make: (guard) => sqliteStore({ path: contractPath, busyTimeout: 100, ...guard }),
  stop: async () => {
    lockHolder = await lockFromAnotherProcess(contractPath)
  },
  restart: async () => {
    if (lockHolder !== undefined) await killed(lockHolder)
    lockHolder = undefined
  },
  cleanup: async () => {
    if (lockHolder !== undefined) await killed(lockHolder)
  },
})

describe('sqliteStore', () => {
  it('creates the directory and the file, in WAL mode', () => {
    const path = join(dir, 'nested', 'deeper', 'a.db')
    const store = new SqliteStore({ path })
    store.set('k', new Uint8Array([1]), Number.POSITIVE_INFINITY)
    store.flush()
    expect(existsSync(path)).toBe(true)
    expect(existsSync(`${path}-wal`)).toBe(true)
    store.close()
  })

  it('opens a file written by an older layout: the old table is dropped and the cache works', async () => {
    const path = join(dir, 'old-layout.db')
    const Database = (await import('better-sqlite3')).default
    const old = new Database(path)
    old.exec('CREATE TABLE cachestack_v1 (key TEXT PRIMARY KEY, value BLOB, expires_at INTEGER)')
    old.prepare('INSERT INTO cachestack_v1 VALUES (?, ?, ?)').run('stale', Buffer.from('x'), null)
    old.close()
    const cache = createCache({ tiers: [sqliteStore({ path })] })
    expect(await cache.get('stale')).toBeUndefined()
    await cache.set('k', { v: 1 })
    expect(await cache.get('k')).toEqual({ v: 1 })
    await cache.close()
  })

  it('validates its options, naming the option', () => {
    expect(() => sqliteStore({ path: '' })).toThrow(/"path"/)
    expect(() => sqliteStore({ path: join(dir, 'x.db'), table: 'bad name' })).toThrow(/"table"/)
    expect(() => sqliteStore({ path: join(dir, 'x.db'), maxBytes: 'lots' })).toThrow(CacheError)
    expect(() => sqliteStore({ path: join(dir, 'x.db'), breaker: { failures: 0 } })).toThrow(/"breaker.failures"/)
  })

  it('expires entries against the cache clock, and the sweep deletes them in batches, counted as expirations', async () => {
    const clock = manualClock()
    const store = new SqliteStore({ path: join(dir, 'expiry.db'), cleanupInterval: false })
    const cache = createCache({ tiers: [store], clock, ttl: '1m' })
    await cache.setMany(Array.from({ length: 2500 }, (_, i) => [`k${i}`, i] as const))
    await cache.set('forever', 1, { ttl: Number.POSITIVE_INFINITY })
    expect(await cache.get('k1')).toBe(1)
    clock.advance('2m')
    expect(store.get('k1')).toBeUndefined()
    expect(store.size().entries).toBe(2501)
    expect(store.cleanup()).toBe(2500)
    expect(store.size().entries).toBe(1)
    expect(cache.stats().expirations).toBe(2500)
    expect(await cache.get('forever')).toBe(1)
    await cache.close()
  })

  it('stays under maxBytes by evicting the least recently used entries', async () => {
    const store = new SqliteStore({ path: join(dir, 'lru.db'), maxBytes: 64 * 1024, touchInterval: 0 })
    const cache = createCache({ tiers: [store] })
    const value = 'x'.repeat(1000)
    for (let i = 0; i < 20; i++) await cache.set(`k${i}`, value)
    // Read the oldest: it becomes the most recently used, and survives what follows.
    expect(await cache.get('k0')).toBe(value)
    store.flushTouches()
    for (let i = 20; i < 200; i++) {
      await cache.set(`k${i}`, value)
      if (i % 10 === 0) expect(await cache.get('k0')).toBe(value) // kept recently used
    }
    const size = store.size()
    expect(size.bytes).toBeLessThanOrEqual(64 * 1024)
    expect(size.entries).toBeGreaterThan(10)
    expect(await cache.get('k0')).toBe(value)
    expect(await cache.get('k1')).toBeUndefined()
    expect(await cache.get('k199')).toBe(value)
    expect(cache.stats().evictions).toBeGreaterThan(100)
    // A value larger than the whole budget is refused, and the key's old value removed.
    await cache.set('k199', 'y'.repeat(70 * 1024))
    expect(await cache.get('k199')).toBeUndefined()
    await cache.close()
  })

  it('keeps the byte total exact across instances (triggers, not per-process counters)', async () => {
    const path = join(dir, 'totals.db')
    const a = new SqliteStore({ path })
    const b = new SqliteStore({ path })
    await a.set('x', new Uint8Array(100), Number.POSITIVE_INFINITY)
    await b.set('y', new Uint8Array(200), Number.POSITIVE_INFINITY)
    await b.set('x', new Uint8Array(50), Number.POSITIVE_INFINITY)
    expect(a.size()).toEqual({ entries: 2, bytes: 1 + 50 + 48 + 1 + 200 + 48 })
    a.delete('y')
    expect(b.size()).toEqual({ entries: 1, bytes: 1 + 50 + 48 })
    a.clear()
    expect(b.size()).toEqual({ entries: 0, bytes: 0 })
    a.close()
    b.close()
  })

  it('writes of one tick are committed in one transaction, read back at once, and ordered with deletes', async () => {
    const path = join(dir, 'batch.db')
    const a = new SqliteStore({ path })
    const b = new SqliteStore({ path })
    const writes = Array.from({ length: 100 }, (_, i) => a.set(`k${i}`, new Uint8Array([i]), Number.POSITIVE_INFINITY))
    expect(a.get('k5')).toEqual(new Uint8Array([5])) // this process sees its write before the commit
    expect(a.delete('k6')).toBe(true)
    a.set('k7', new Uint8Array([70]), Number.POSITIVE_INFINITY)
    a.clear('k9')
    expect(new Set(writes).size).toBe(1) // one batch, one promise
    await writes[0]
    expect([...b.get('k5')!]).toEqual([5])
    expect(b.get('k6')).toBeUndefined()
    expect([...b.get('k7')!]).toEqual([70])
    expect(b.get('k9')).toBeUndefined()
    expect(b.get('k95')).toBeUndefined()
    expect(b.size().entries).toBe(100 - 1 - 11)
    a.close()
    b.close()
  })

  it('a failed batch rejects every write in it, and the cache counts it (fail-open)', async () => {
    const path = join(dir, 'batch-fail.db')
    const store = sqliteStore({ path, busyTimeout: 20, breaker: false })
    const cache = createCache({ tiers: [store] })
    const holder = await lockFromAnotherProcess(path)
    try {
      await Promise.all([cache.set('a', 1), cache.set('b', 2)])
      expect(cache.stats().tierErrors.sqlite).toBe(2)
    } finally {
      await killed(holder)
    }
    await cache.set('a', 1)
    expect(await cache.get('a')).toBe(1)
    await cache.close()
  })

  it('a lock is exclusive across instances on one file, released by its holder, and lapses after its ttl', async () => {
    const path = join(dir, 'locks.db')
    const a = new SqliteStore({ path })
    const b = new SqliteStore({ path })
    const release = await a.lock('k', 60_000)
    expect(release).toBeTypeOf('function')
    expect(await b.lock('k', 60_000)).toBeUndefined()
    expect(await b.lock('other', 60_000)).toBeTypeOf('function')
    await release!()
    const again = await b.lock('k', 5)
    expect(again).toBeTypeOf('function')
    await new Promise((r) => setTimeout(r, 20))
    expect(await a.lock('k', 60_000)).toBeTypeOf('function') // b's lapsed
    await again!() // releasing a lapsed lock does not free the new holder's
    expect(await b.lock('k', 60_000)).toBeUndefined()
    a.close()
    b.close()
  })

  it('getOrSet with lock: two caches on one file run the loader once', async () => {
    const path = join(dir, 'lock-getorset.db')
    const one = createCache({ tiers: [memoryStore(), sqliteStore({ path })] })
    const two = createCache({ tiers: [memoryStore(), sqliteStore({ path })] })
    let loads = 0
    const loader = async () => {
      loads++
      await new Promise((r) => setTimeout(r, 100))
      return 'value'
    }
    const results = await Promise.all([
      one.getOrSet('k', loader, { lock: true }),
      two.getOrSet('k', loader, { lock: true }),
    ])
    expect(results).toEqual(['value', 'value'])
    expect(loads).toBe(1)
    await one.close()
    await two.close()
  })

  it('a closed store throws ERR_CACHE_CLOSED, and the cache fails open around it', async () => {
    const store = sqliteStore({ path: join(dir, 'closed.db') })
    const cache = createCache({ tiers: [memoryStore(), store] })
    await store.close?.()
    expect(() => store.get('k')).toThrow(expect.objectContaining({ code: 'ERR_CACHE_CLOSED' }))
    expect(await cache.getOrSet('k', () => 'loaded')).toBe('loaded')
    expect(cache.stats().tierErrors.sqlite).toBeGreaterThan(0)
  })

  it('another process writing the same file while this one reads: every read is whole, the invalidation is seen', async () => {
    const path = join(dir, 'shared.db')
    const prefix = `p${process.pid}`
    const cache = createCache({ tiers: [memoryStore(), sqliteStore({ path, busyTimeout: 5000 })], versionsMaxAge: 0 })
    await cache.namespace(prefix).set('n', 'mine')
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(fixtures, 'sqlite-writer.ts'), path, prefix, '500'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let out = ''
    const written = new Promise<void>((resolve) => {
      child.stdout!.on('data', (d) => {
        out += String(d)
        if (out.includes('written')) resolve()
      })
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    let seen = 0
    let readerErrors = 0
    cache.on('error', () => readerErrors++)
    const keys = Array.from({ length: 500 }, (_, i) => `${prefix}:${i}`)
    // Read while the other process writes.
    await Promise.race([
      written,
      (async () => {
        for (;;) {
          const values = (await cache.getMany(keys)) as ({ i: number } | undefined)[]
          values.forEach((v, i) => {
            if (v !== undefined) {
              expect(v.i).toBe(i)
              seen++
            }
          })
          if (out.includes('written')) return
          await new Promise((r) => setTimeout(r, 5))
        }
      })(),
    ])
    expect(await exited).toBe(0)
    expect(out).toMatch(/done 0/)
    expect(readerErrors).toBe(0)
    expect(seen).toBeGreaterThanOrEqual(0)
    // The other process invalidated the tag and cleared the namespace: this one sees both.
    expect(await cache.get(`${prefix}:1`)).toBeUndefined()
    expect(await cache.namespace(prefix).get('n')).toBeUndefined()
    await cache.close()
  }, 60_000)

  it('a write-locked file makes writes fail after busyTimeout; the breaker then skips them until the lock goes', async () => {
    const path = join(dir, 'locked.db')
    const clock = manualClock()
    const store = sqliteStore({ path, busyTimeout: 50, breaker: { failures: 2, cooldown: '10s' } })
    const cache = createCache({ tiers: [store], clock })
    await cache.set('k', 'v')
    const holder = await lockFromAnotherProcess(path)
    try {
      for (let i = 0; i < 5; i++) await cache.set(`w${i}`, i)
      const health = cache.stats().tierHealth.sqlite!
      expect(health.failures).toBe(2)
      expect(health.circuit).toBe('open')
      expect(health.skipped).toBe(3 + 0)
    } finally {
      await killed(holder)
    }
    expect(cache.stats().tierHealth.sqlite!.circuit).toBe('open')
    clock.advance('11s')
    await cache.set('after', 1)
    expect(cache.stats().tierHealth.sqlite!.circuit).toBe('closed')
    expect(await cache.get('after')).toBe(1)
    await cache.close()
  }, 30_000)
})
