import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import session from 'express-session'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createCache, isCacheError, manualClock, memoryStore } from '../../src/index.js'
import { redisBus, redisStore } from '../../src/redis.js'
import { expressSessionStore } from '../../src/session.js'
import { sqliteStore } from '../../src/sqlite.js'
import { pausedStore } from '../helpers/paused-store.js'
import { REDIS_URL, redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'
import { cookieOf, expressApp, sidOf, whoami } from './helpers.js'

const hasRedis = await redisAvailable()
const prefix = uniquePrefix('session')
const dir = mkdtempSync(join(tmpdir(), 'cs-session-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('condition not met within 5 s')
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/login`, { method: 'POST' })
  expect(res.status).toBe(200)
  return cookieOf(res)
}

describe('express-session over a memory tier', () => {
  it('logs in, keeps the session, logs out', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const server = await expressApp(expressSessionStore(session, { cache }))
    try {
      const cookie = await login(server.url)
      expect(await whoami(server.url, cookie)).toBe('ada')
      expect(await (await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie } })).text()).toBe('bye')
      expect(await whoami(server.url, cookie)).toBe(null)
    } finally {
      await server.close()
    }
  })

  it('keeps session data as JSON: a later change to the live object does not leak into the store', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const store = expressSessionStore(session, { cache })
    const data = { cookie: { maxAge: 60_000 }, user: 'ada' }
    await new Promise<void>((done, fail) => store.set('sid-1', data, (err) => (err ? fail(err) : done())))
    data.user = 'eve'
    const loaded = await new Promise((done) => store.get('sid-1', (_err, s) => done(s)))
    expect(loaded).toEqual({ cookie: { maxAge: 60_000 }, user: 'ada' })
  })

  it('expires with the cookie, and rolling sessions (touch) live on', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    const server = await expressApp(expressSessionStore(session, { cache }), { maxAge: 3_600_000, rolling: true })
    try {
      const cookie = await login(server.url)
      clock.advance('50m')
      expect(await whoami(server.url, cookie)).toBe('ada') // unchanged session: express-session calls touch
      clock.advance('50m')
      expect(await whoami(server.url, cookie)).toBe('ada') // 100 minutes after login, 50 after the touch
      clock.advance('61m')
      expect(await whoami(server.url, cookie)).toBe(null)
    } finally {
      await server.close()
    }
  })

  it('an idle session ends when its cookie does', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    const server = await expressApp(expressSessionStore(session, { cache }), { maxAge: 3_600_000 })
    try {
      const cookie = await login(server.url)
      const other = await login(server.url)
      clock.advance('59m')
      expect(await whoami(server.url, cookie)).toBe('ada')
      clock.advance('2m')
      expect(await whoami(server.url, other)).toBe(null) // idle for 61 minutes
      expect(await whoami(server.url, cookie)).toBe('ada') // touched by the read at 59 minutes
    } finally {
      await server.close()
    }
  })

  it('clear() removes every session under the prefix and nothing else', async () => {
    const tier = memoryStore()
    const cache = createCache({ tiers: [tier] })
    await cache.set('other', 1)
    const store = expressSessionStore(session, { cache })
    await new Promise<void>((done) => store.set('a', { cookie: { maxAge: 60_000 } }, () => done()))
    await new Promise<void>((done) => store.clear(() => done()))
    expect(await new Promise((done) => store.get('a', (_e, s) => done(s)))).toBe(null)
    expect(await cache.get('other')).toBe(1)
  })

  it('refuses an in-process tier in front of a shared one without a bus, saying why (the default cache has one)', () => {
    const cache = createCache({ tiers: [memoryStore(), sqliteStore({ path: join(dir, 'refused.db') })] })
    let error: unknown
    try {
      expressSessionStore(session, { cache })
    } catch (err) {
      error = err
    }
    expect(isCacheError(error, 'ERR_CACHE_INVALID_OPTION')).toBe(true)
    expect((error as Error).message).toMatch(/logout/)
    // The default (memory over a SQLite file) comes with a bus over its file: a logout reaches every process.
    const byDefault = createCache({ dir })
    expect(byDefault.stats().bus).toBeDefined()
    expect(() => expressSessionStore(session, { cache: byDefault })).not.toThrow()
  })

  it('names what to pass when express-session or the cache is missing', () => {
    const cache = createCache({ tiers: [memoryStore()] })
    expect(() => expressSessionStore(undefined as never, { cache })).toThrow(/express-session module/)
    expect(() => expressSessionStore(session, {} as never)).toThrow(/"cache"/)
  })
})

describe.skipIf(!hasRedis)('express-session over real Redis', () => {
  const redis = redisClientFor(prefix)

  const redisCache = () => createCache({ tiers: [redisStore({ client: redis.client, prefix })], strict: true })

  it('a session survives a server restart', async () => {
    let server = await expressApp(expressSessionStore(session, { cache: redisCache() }))
    const cookie = await login(server.url)
    await server.close()
    server = await expressApp(expressSessionStore(session, { cache: redisCache() }))
    try {
      expect(await whoami(server.url, cookie)).toBe('ada')
    } finally {
      await server.close()
    }
  })

  it('logout in one process ends the session in every process', async () => {
    const servers = await Promise.all(
      [1, 2, 3].map(() => expressApp(expressSessionStore(session, { cache: redisCache() }))),
    )
    try {
      const cookie = await login(servers[0]!.url)
      for (const s of servers) expect(await whoami(s.url, cookie)).toBe('ada')
      await fetch(`${servers[1]!.url}/logout`, { method: 'POST', headers: { cookie } })
      for (const s of servers) expect(await whoami(s.url, cookie)).toBe(null)
    } finally {
      await Promise.all(servers.map((s) => s.close()))
    }
  })

  it('a rolling touch racing a logout in another process does not bring the session back', async () => {
    const other = expressSessionStore(session, { cache: redisCache() })
    // This process's tier answers its read only after the other process's logout.
    const tier = pausedStore(redisStore({ client: redis.client, prefix }))
    const store = expressSessionStore(session, { cache: createCache({ tiers: [tier.store], strict: true }) })
    const data = { cookie: { maxAge: 3_600_000 }, user: 'ada' }
    const call = (fn: (done: (err?: unknown) => void) => void) =>
      new Promise<void>((done, fail) => fn((err) => (err ? fail(err) : done())))
    await call((done) => other.set('sid-race', data, done))
    tier.after(() => call((done) => other.destroy('sid-race', done)))
    await call((done) => store.touch('sid-race', data, done))
    const after = await new Promise((done) => other.get('sid-race', (_err, s) => done(s)))
    expect(after ?? undefined).toBeUndefined()
    expect(
      await redis.client.exists(`${prefix}sess:${createHash('sha256').update('sid-race').digest('base64url')}`),
    ).toBe(0)
  })

  it("with an L1 and a bus, logout in one process drops the session from the others' L1", async () => {
    const channel = `${prefix}bus`
    const caches = [1, 2].map(() =>
      createCache({
        tiers: [memoryStore(), redisStore({ client: redis.client, prefix })],
        bus: redisBus({ url: REDIS_URL, channel }),
        strict: true,
      }),
    )
    const [a, b] = await Promise.all(caches.map((cache) => expressApp(expressSessionStore(session, { cache }))))
    try {
      // Subscribing is asynchronous: wait until each cache hears the other.
      await until(async () => {
        await caches[0]!.set('ping', 1)
        await caches[1]!.set('ping', 1)
        return (caches[0]!.stats().bus?.received ?? 0) > 0 && (caches[1]!.stats().bus?.received ?? 0) > 0
      })
      const cookie = await login(a!.url)
      const memory = caches[1]!.tiers[0] as ReturnType<typeof memoryStore>
      const key = `sess:${createHash('sha256').update(sidOf(cookie)).digest('base64url')}`
      // b reads it into its L1 (a late bus message about a's write may drop it once; read again then).
      await until(async () => (await whoami(b!.url, cookie)) === 'ada' && memory.peek(key) !== undefined)
      await fetch(`${a!.url}/logout`, { method: 'POST', headers: { cookie } })
      await until(async () => memory.peek(key) === undefined)
      expect(await whoami(b!.url, cookie)).toBe(null)
    } finally {
      await Promise.all([a!.close(), b!.close()])
      await Promise.all(caches.map((c) => c.close()))
    }
  })

  it('never stores the session id: keys are its SHA-256, and the TTL follows the cookie', async () => {
    const server = await expressApp(expressSessionStore(session, { cache: redisCache() }), { maxAge: 120_000 })
    try {
      const cookie = await login(server.url)
      const sid = sidOf(cookie)
      expect(sid.length).toBeGreaterThan(10)
      const keys = await redis.client.keys(`${prefix}*`)
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys) expect(key).not.toContain(sid)
      const key = `${prefix}sess:${createHash('sha256').update(sid).digest('base64url')}`
      expect(keys).toContain(key)
      const ttl = await redis.client.pttl(key)
      expect(ttl).toBeGreaterThan(100_000)
      expect(ttl).toBeLessThanOrEqual(120_000)
      const raw = await redis.client.getBuffer(key)
      expect(raw?.toString('latin1')).not.toContain(sid)
    } finally {
      await server.close()
    }
  })

  it('a failing tier reaches express-session as an error when the cache is strict', async () => {
    const broken = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    })
    broken.on('error', () => {})
    const cache = createCache({ tiers: [redisStore({ client: broken, prefix })], strict: true })
    const store = expressSessionStore(session, { cache })
    const working = await expressApp(expressSessionStore(session, { cache: createCache({ tiers: [memoryStore()] }) }))
    const server = await expressApp(store)
    try {
      const setError = await new Promise((done) => store.set('sid', { cookie: { maxAge: 1000 } }, done))
      expect(setError).toBeInstanceOf(Error)
      const cookie = await login(working.url) // the same secret, so the broken server reads this cookie
      const res = await fetch(`${server.url}/me`, { headers: { cookie } })
      expect(res.status).toBe(500)
    } finally {
      await Promise.all([server.close(), working.close()])
      broken.disconnect()
    }
  })
})

describe('express-session over a SQLite file', () => {
  it('a session survives a server restart', async () => {
    const path = join(dir, 'sessions.db')
    let cache = createCache({ tiers: [sqliteStore({ path })] })
    let server = await expressApp(expressSessionStore(session, { cache }))
    const cookie = await login(server.url)
    await server.close()
    await cache.close()
    cache = createCache({ tiers: [sqliteStore({ path })] })
    server = await expressApp(expressSessionStore(session, { cache }))
    const other = createCache({ tiers: [sqliteStore({ path })] }) // another process on the machine
    const second = await expressApp(expressSessionStore(session, { cache: other }))
    try {
      expect(await whoami(server.url, cookie)).toBe('ada')
      expect(await whoami(second.url, cookie)).toBe('ada')
      await fetch(`${second.url}/logout`, { method: 'POST', headers: { cookie } })
      expect(await whoami(server.url, cookie)).toBe(null)
    } finally {
      await Promise.all([server.close(), second.close()])
      await Promise.all([cache.close(), other.close()])
    }
  })
})
