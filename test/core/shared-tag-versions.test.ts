/**
 * Tag and namespace versions when the tier holding them cannot be reached:
 * a real Redis behind a real TCP proxy that the test cuts (a partition: this
 * cache loses Redis, another one keeps it), and real SQLite files.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SharedCall, SharedTagVersions } from '../../src/core/shared-tag-versions.js'
import type { SharedVersions } from '../../src/core/store.js'
import { type Cache, createCache, manualClock, memoryStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { SqliteStore, sqliteStore } from '../../src/stores/sqlite.js'
import { REDIS_HOST, REDIS_PORT, REDIS_URL } from '../helpers/redis.js'
import { missingServers } from '../helpers/servers.js'
import { lockFromAnotherProcess } from '../helpers/sqlite-lock.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A TCP proxy to the test Redis whose link the test can cut and restore. */
class Link {
  readonly #sockets = new Set<Socket>()
  #down = false
  server!: Server
  port = 0

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.#down) {
        client.destroy()
        return
      }
      const upstream = connect(REDIS_PORT, REDIS_HOST)
      for (const s of [client, upstream]) {
        this.#sockets.add(s)
        s.on('close', () => this.#sockets.delete(s))
        s.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.port = (this.server.address() as { port: number }).port
  }

  cut(): void {
    this.#down = true
    for (const s of this.#sockets) s.destroy()
  }

  restore(): void {
    this.#down = false
  }

  close(): Promise<void> {
    this.cut()
    return new Promise((r) => this.server.close(() => r()))
  }
}

describe.skipIf(missingServers('redis') !== undefined)('shared versions while Redis cannot be reached', () => {
  const prefix = `cs-test-tagver-${process.pid}-${Math.random().toString(36).slice(2)}:`
  let link: Link
  const open: Cache[] = []
  /** A cache reaching Redis through the link (`cut` partitions it). */
  const cacheOf = (name: string) => {
    const url = `redis://127.0.0.1:${link.port}`
    const cache = createCache({
      tiers: [memoryStore(), redisStore({ url, prefix: `${prefix}${name}:`, timeout: '100ms', breaker: false })],
      ttl: '5m',
      versionsMaxAge: '50ms',
    })
    open.push(cache)
    return cache
  }
  /**
   * Two caches of one app (same key prefix): `a` through the link, `b` directly.
   * With `breaker`, `a`'s circuit opens at the first failure, so calls made
   * during the outage never reach the client (nor its offline queue).
   */
  const pair = (name: string, breaker = false) => {
    const mk = (url: string, guard: boolean) =>
      createCache({
        tiers: [
          memoryStore(),
          redisStore({
            url,
            prefix: `${prefix}${name}:`,
            timeout: '100ms',
            breaker: guard ? { failures: 1, cooldown: '300ms' } : false,
          }),
        ],
        ttl: '5m',
        versionsMaxAge: '50ms',
      })
    const a = mk(`redis://127.0.0.1:${link.port}`, breaker)
    const b = mk(REDIS_URL, false)
    open.push(a, b)
    return { a, b }
  }
  /** Waits until a version read through the link answers again. */
  const reconnected = async (cache: Cache) => {
    await expect
      .poll(
        () =>
          Promise.resolve(cache.tiers[1]!.versions!.read(['probe'])).then(
            () => true,
            () => false,
          ),
        { timeout: 15_000 },
      )
      .toBe(true)
  }

  beforeAll(async () => {
    link = new Link()
    await link.start()
  })
  afterAll(async () => {
    for (const c of open) await c.close()
    await link.close()
  })

  it('tagged and namespaced getOrSet keep caching in memory: one load each, not one per request', async () => {
    link.restore()
    const cache = cacheOf('l1')
    let known = 0
    await cache.getOrSet('known', () => ++known, { tags: ['seen-before'] })
    link.cut()
    let plain = 0
    let tagged = 0
    let ns = 0
    const users = cache.namespace('users')
    const errors: unknown[] = []
    cache.on('error', (e) => errors.push(e))
    for (let i = 0; i < 30; i++) {
      await cache.getOrSet('plain', () => ++plain)
      await cache.getOrSet('tagged', () => ++tagged, { tags: ['products'] })
      await users.getOrSet('1', () => ++ns)
      await cache.getOrSet('known', () => ++known, { tags: ['seen-before'] })
      // Past the window (max(versionsMaxAge, 1s) while Redis fails): the tier is tried again, and fails again.
      if (i % 15 === 0) await sleep(1100)
    }
    expect({ plain, tagged, ns, known }).toEqual({ plain: 1, tagged: 1, ns: 1, known: 1 })
    // Every failure is still reported.
    expect(errors.some((e) => (e as { operation: string }).operation === 'versions.read')).toBe(true)
    link.restore()
  })

  it('once Redis is back, an invalidation made elsewhere during the outage takes effect', async () => {
    link.restore()
    const { a, b } = pair('elsewhere')
    let loads = 0
    const load = () => `v${++loads}`
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v1')
    link.cut()
    // During the outage a caches a new entry with a tag it never read (a local version).
    expect(await a.getOrSet('q', load, { tags: ['fresh'] })).toBe('v2')
    expect(await a.getOrSet('q', load, { tags: ['fresh'] })).toBe('v2')
    // b still reaches Redis, and invalidates both tags.
    await b.invalidateTags(['products', 'fresh'])
    link.restore()
    await reconnected(a)
    await sleep(1100)
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v3')
    expect(await a.getOrSet('q', load, { tags: ['fresh'] })).toBe('v4')
    // And once re-read, cached again.
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v3')
    expect(loads).toBe(4)
  })

  it('an invalidation made here during the outage is bumped in Redis once it is back: nothing stale comes back', async () => {
    link.restore()
    const { a, b } = pair('local', true)
    const users = a.namespace('users')
    let loads = 0
    const load = () => `v${++loads}`
    // In a's L1 and in Redis, recorded with products=0 and the namespace's version.
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v1')
    expect(await users.getOrSet('1', load)).toBe('v2')
    link.cut()
    expect(await a.get('absent')).toBeUndefined() // fails, and opens a's circuit: what follows is skipped
    await a.invalidateTags(['products'])
    await users.clear()
    // Seen here at once, and the reloaded values are cached while Redis is away.
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v3')
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v3')
    expect(await users.getOrSet('1', load)).toBe('v4')
    const direct = b.tiers[1]!.versions!
    link.restore()
    // a does nothing more: its remembered bumps still reach Redis (retried every second)...
    await expect.poll(() => direct.read(['products']), { timeout: 5000 }).toEqual([1])
    // ...so the entries Redis holds from before (v1, v2) are stale for b too.
    expect(await b.get('p')).toBeUndefined()
    expect(await b.namespace('users').get('1')).toBeUndefined()
    // And a's own next reads never bring them back.
    await sleep(1100)
    expect(['v1', 'v2']).not.toContain(await a.getOrSet('p', load, { tags: ['products'] }))
    expect(['v1', 'v2']).not.toContain(await users.getOrSet('1', load))
  })
})

describe('the local copy of shared versions stays bounded (real SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cs-tagver-'))
  const stores: SqliteStore[] = []
  afterAll(() => {
    for (const s of stores) s.close()
    rmSync(dir, { recursive: true, force: true })
  })
  /** Two connections to one file: this process's store, and "another process's". */
  const files = (name: string) => {
    const path = join(dir, `${name}.db`)
    const mine = new SqliteStore({ path })
    const theirs = new SqliteStore({ path })
    stores.push(mine, theirs)
    return { mine, theirs }
  }
  const call: SharedCall = async (_operation, fn) => {
    try {
      return await fn()
    } catch {
      return undefined
    }
  }

  it('forgets names past their window, and re-reads a forgotten name rather than assume it current', async () => {
    const clock = manualClock()
    const { mine, theirs } = files('sweep')
    const versions = new SharedTagVersions(mine.versions, clock, 1000, call)
    const names = Array.from({ length: 5000 }, (_, i) => `user:${i}`)
    await theirs.versions.bump(['user:1'])
    expect(await versions.exact(names)).toHaveLength(5000)
    expect(versions.get('user:1')).toBe(1)
    expect(versions.health.known).toBe(5000)
    clock.advance(1100)
    await theirs.versions.bump(['user:1'])
    await versions.exact(['user:5000']) // any slow-path read sweeps
    expect(versions.health.known).toBe(1)
    expect(versions.get('user:1')).toBeNaN()
    expect(versions.anyExpired(['user:1'])).toBe(true)
    expect(await versions.exact(['user:1'])).toEqual([2])
    expect(versions.health).toEqual({ offline: false, pendingBumps: 0, known: 2 })
  })

  /** Versions whose reads answer only once `release()` is called: what the file held when the read began. */
  const gated = (inner: SharedVersions) => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const slow: SharedVersions = {
      read: async (names) => {
        const values = await inner.read(names)
        await gate
        return values
      },
      bump: (names) => inner.bump(names),
    }
    return { slow, release }
  }

  for (const sweptBy of ['another read', 'the old read itself'] as const) {
    it(`keeps a changed name while a read that began before the change is in flight (swept by ${sweptBy})`, async () => {
      const clock = manualClock()
      const { mine, theirs } = files(`inflight-${sweptBy.replaceAll(' ', '-')}`)
      // The read returns what the file held when it began, after the change below (a slow round trip).
      const { slow, release } = gated(mine.versions)
      const versions = new SharedTagVersions(slow, clock, 1000, call)
      const reading = versions.exact(['t'])
      await theirs.versions.bump(['t'])
      versions.changed(['t']) // heard over the bus
      clock.advance(1100)
      // A sweep runs now, or when the old read ends: 't' must stay, or that read puts its value back.
      if (sweptBy === 'another read') versions.note(['other'], [0])
      release()
      expect(await reading).toEqual([0]) // the version when asked
      expect(versions.get('t')).toBeNaN() // but not trusted for L1 hits: re-read
      expect(await versions.exact(['t'])).toEqual([1])
    })
  }

  it('while the tier fails: stable local versions, a local bump remembered, and health says so', async () => {
    const { mine } = files('offline')
    const versions = new SharedTagVersions(mine.versions, manualClock(), 1000, call)
    mine.close() // every call now fails
    const [v] = await versions.exact(['t'])
    expect(v).toBeLessThan(0) // no shared version is negative
    expect(await versions.exact(['t'])).toEqual([v])
    expect(versions.get('t')).toBe(v) // trusted for the window: L1 hits stay synchronous
    await versions.bump(['t'])
    expect(versions.get('t')).not.toBe(v)
    expect(versions.health).toEqual({ offline: true, pendingBumps: 1, known: 1 })
    versions.close()
  })

  it('a version asked for after a change does not share a read that began before it', async () => {
    const { mine, theirs } = files('joined')
    const { slow, release } = gated(mine.versions)
    const versions = new SharedTagVersions(slow, manualClock(), 1000, call)
    const before = versions.exact(['t'])
    await theirs.versions.bump(['t'])
    versions.changed(['t']) // heard over the bus
    const after = versions.exact(['t'])
    release()
    expect(await before).toEqual([0])
    expect(await after).toEqual([1])
  })

  it('a cache over a SQLite file: a tag swept from the copy is still invalidated across connections', async () => {
    const clock = manualClock()
    const path = join(dir, 'cache.db')
    const mk = () => {
      const store = new SqliteStore({ path })
      return createCache({ tiers: [memoryStore({ maxEntries: 100 }), store], clock, ttl: '1h' })
    }
    const a = mk()
    const b = mk()
    let loads = 0
    await a.getOrSet('u1', () => ++loads, { tags: ['user:1'] })
    for (let i = 2; i < 3000; i++) await a.getOrSet(`u${i}`, () => ++loads, { tags: [`user:${i}`] })
    await b.invalidateTags(['user:1'])
    clock.advance(1100)
    await a.getOrSet('u-new', () => ++loads, { tags: ['user:new'] })
    expect(await a.getOrSet('u1', () => 'reloaded', { tags: ['user:1'] })).toBe('reloaded')
    await a.close()
    await b.close()
  })
})

describe('shared versions while the SQLite file cannot be written (a real process holds its lock)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cs-tagver-lock-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const lock = lockFromAnotherProcess
  const unlock = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    })

  it('an invalidation that could not be written is written once the lock is gone, so no process reads the old entry', async () => {
    const path = join(dir, 'app.db')
    const mk = () =>
      createCache({
        tiers: [memoryStore(), sqliteStore({ path, busyTimeout: '20ms', breaker: false })],
        ttl: '1h',
      })
    const a = mk()
    let loads = 0
    const load = () => `v${++loads}`
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v1') // in memory and in the file
    const holder = await lock(path)
    await a.invalidateTags(['products']) // the bump fails: the file is locked
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v2') // seen here at once
    expect(await a.getOrSet('p', load, { tags: ['products'] })).toBe('v2') // and cached meanwhile
    await unlock(holder)
    // Without a read here, the remembered bump is retried and reaches the file: another process never reads v1.
    const b = mk()
    await expect.poll(() => b.get('p'), { timeout: 5000 }).toBeUndefined()
    expect(await b.getOrSet('p', () => 'from b', { tags: ['products'] })).toBe('from b')
    expect(await a.getOrSet('p', load, { tags: ['products'] })).not.toBe('v1')
    await a.close()
    await b.close()
  })
})
