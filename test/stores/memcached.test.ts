import { createHash } from 'node:crypto'
import memjs from 'memjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CacheError, createCache } from '../../src/index.js'
import { type MemcachedTier, memcachedStore } from '../../src/memcached.js'
import { freePort, missingServers, startMemcached, type TestMemcached } from '../helpers/servers.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))
const hashed = (prefix: string, key: string) => `${prefix}#${createHash('sha256').update(key).digest('base64url')}`

describe('memcachedStore options', () => {
  it('needs servers or a client, and a prefix memcached can hold', () => {
    expect(() => memcachedStore({})).toThrow(/exactly one of servers or client/)
    expect(() => memcachedStore({ servers: '127.0.0.1:1', prefix: 'has space' })).toThrow(/prefix/)
  })
})

describe.skipIf(missingServers('memcached') !== undefined)('memcachedStore on its own memcached', () => {
  let server: TestMemcached
  let store: MemcachedTier
  const prefix = 'mc-test:'
  beforeAll(async () => {
    server = await startMemcached({ itemSize: 1024 * 1024 })
    store = memcachedStore({ servers: server.url, prefix })
  })
  afterAll(async () => {
    await store.close()
    await server.stop()
  })

  it('hashes keys memcached refuses, and keeps them apart', async () => {
    const long = 'k'.repeat(300)
    const spaced = 'with space'
    const ctl = 'tab\tand\nnewline'
    await store.set(long, bytes('long'), Number.POSITIVE_INFINITY)
    await store.set(spaced, bytes('spaced'), Number.POSITIVE_INFINITY)
    await store.set(ctl, bytes('ctl'), Number.POSITIVE_INFINITY)
    expect((await store.getMany([long, spaced, ctl])).map(text)).toEqual(['long', 'spaced', 'ctl'])
    const raw = await store.client.get(hashed(prefix, long))
    expect(raw.value).not.toBeNull()
    expect(raw.value!.includes(Buffer.from(long))).toBe(true) // the original key is kept with the value
    expect(await store.delete(spaced)).toBe(true)
    expect(await store.get(spaced)).toBeUndefined()
  })

  it('reads a hash collision as a miss, never as the other key’s value', async () => {
    const a = 'a key with spaces'
    const b = 'another key with spaces'
    await store.set(a, bytes('value of a'), Number.POSITIVE_INFINITY)
    // Simulate SHA-256(b) === SHA-256(a): copy a's item under b's hashed key.
    const item = await store.client.get(hashed(prefix, a))
    await store.client.set(hashed(prefix, b), item.value!, {})
    expect(await store.get(b)).toBeUndefined()
    expect(text(await store.get(a))).toBe('value of a')
  })

  it('refuses values over the item size with ERR_CACHE_TOO_LARGE, before and from the server', async () => {
    const big = new Uint8Array(1024 * 1024)
    const err = await store.set('big', big, Number.POSITIVE_INFINITY).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CacheError)
    expect((err as CacheError).code).toBe('ERR_CACHE_TOO_LARGE')
    expect((err as CacheError).message).toMatch(/maxItemSize/)
    // A store told the limit is larger than the server's: the server's refusal maps to the same code.
    const optimistic = memcachedStore({ servers: server.url, prefix, maxItemSize: '8mb' })
    const fromServer = await optimistic.set('big', big, Number.POSITIVE_INFINITY).catch((e: unknown) => e)
    expect((fromServer as CacheError).code).toBe('ERR_CACHE_TOO_LARGE')
    await optimistic.close()
    // Through a strict cache, the user sees it; a too-large value does not trip the breaker.
    const cache = createCache({ tiers: [memcachedStore({ servers: server.url, prefix, strict: true })] })
    await expect(cache.set('big', 'x'.repeat(1024 * 1024))).rejects.toMatchObject({ code: 'ERR_CACHE_TOO_LARGE' })
    expect(cache.stats().tierHealth.memcached?.circuit).toBe('closed')
    await cache.close()
  })

  it('an evicted version counter does not bring invalidated entries back', async () => {
    const cache = createCache({ tiers: [memcachedStore({ servers: server.url, prefix })] })
    await cache.set('user:1', 'v1', { tags: ['users'] })
    await cache.invalidateTags(['users'])
    expect(await cache.get('user:1')).toBeUndefined()
    // Memcached's LRU drops the counter: it must not come back at the version the entry recorded.
    await store.client.delete(`${prefix}v#${createHash('sha256').update('users').digest('base64url')}`)
    const other = createCache({ tiers: [memcachedStore({ servers: server.url, prefix })] })
    expect(await other.get('user:1')).toBeUndefined()
    await cache.close()
    await other.close()
  })

  it('clear() of the whole store needs flushOnClear', async () => {
    await expect(store.clear()).rejects.toMatchObject({ code: 'ERR_CACHE_INVALID_OPTION' })
    await store.clear('some-namespace:') // a no-op: namespaces are cleared by their version
    const owner = memcachedStore({ servers: server.url, prefix, flushOnClear: true })
    await owner.set('k', bytes('v'), Number.POSITIVE_INFINITY)
    await owner.clear()
    expect(await owner.get('k')).toBeUndefined()
    await owner.close()
  })
})

describe.skipIf(missingServers('memcached') !== undefined)('memcachedStore while its first connection is made', () => {
  let server: TestMemcached
  let other: TestMemcached
  const prefix = 'mc-connect:'
  beforeAll(async () => {
    server = await startMemcached()
    other = await startMemcached()
  })
  afterAll(async () => {
    await server.stop()
    await other.stop()
  })
  /** Runs `body` while `which` is frozen (SIGSTOP): it accepts connections and answers nothing. */
  const whilePaused = async <T>(body: () => Promise<T>, which = server): Promise<T> => {
    which.pause()
    try {
      return await body()
    } finally {
      which.resume()
    }
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  for (const how of ['servers', 'client'] as const) {
    it(`times the first operations from when the server answers, not from when they were issued (${how})`, async () => {
      // The server is frozen for three times the timeout: connecting takes that long, as under load.
      const client = how === 'client' ? memjs.Client.create(server.url, { logger: { log() {} } }) : undefined
      const store = memcachedStore({
        ...(client ? { client } : { servers: server.url }),
        prefix,
        timeout: 200,
        breaker: false,
      })
      const { calls } = await whilePaused(async () => {
        const calls = Promise.all([
          store.set(`first-${how}`, bytes('v'), Number.POSITIVE_INFINITY),
          store.get(`first-${how}`),
          store.versions.read(['users']),
        ])
        await sleep(600)
        return { calls } // not the promise itself: returning it would wait for it before resuming
      })
      const [, got, versions] = await calls
      expect(text(got)).toBe('v')
      expect(versions).toHaveLength(1)
      expect(store.health!()).toMatchObject({ timeouts: 0, failures: 0 })
      // Once connected, operations go straight out.
      expect(store.store.connecting()).toBeUndefined()
      await store.close()
      client?.close()
    })
  }

  it('connectTimeout counts from the first operation, which starts the connection', async () => {
    const store = memcachedStore({ servers: server.url, prefix, timeout: 200, connectTimeout: 1000, breaker: false })
    await sleep(1200) // longer than connectTimeout, before any operation
    const { call } = await whilePaused(async () => {
      const call = store.get('lazy')
      await sleep(600)
      return { call }
    })
    expect(await call).toBeUndefined()
    expect(store.health!()).toMatchObject({ timeouts: 0, failures: 0 })
    await store.close()
  })

  it('fails with ERR_CACHE_UNAVAILABLE naming the server once connectTimeout lapses (counted once); plain timeouts after', async () => {
    await whilePaused(async () => {
      const store = memcachedStore({ servers: server.url, prefix, timeout: 200, connectTimeout: 300, breaker: false })
      const results = await Promise.allSettled([store.get('a'), store.get('b')])
      for (const r of results) {
        const err = (r as PromiseRejectedResult).reason as CacheError
        expect(err).toBeInstanceOf(CacheError)
        expect(err.code).toBe('ERR_CACHE_UNAVAILABLE')
        expect(err.message).toContain(`could not connect to 127.0.0.1:${server.port} within 300 ms`)
        expect(err.message).toContain('connectTimeout')
      }
      // One server that never answered is one failure, not one per waiting operation.
      expect(store.health!()).toMatchObject({ failures: 1, timeouts: 0 })
      // The first connection is over: a call now gets the plain timeout, so a dead server is skipped quickly.
      await expect(store.get('k')).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' })
      await store.close()
    })
  })

  it('with two servers, keys on the one that answers do not wait for the silent one', async () => {
    const store = memcachedStore({ servers: [server.url, other.url], prefix, timeout: 200, breaker: false })
    const on = (port: number) => {
      for (let i = 0; ; i++) if (store.client.server(`${prefix}k${i}`)?.port === port) return `k${i}`
    }
    const onServer = on(server.port)
    const onOther = on(other.port)
    const { waiting } = await whilePaused(async () => {
      const waiting = store.set(onOther, bytes('later'), Number.POSITIVE_INFINITY)
      await store.set(onServer, bytes('now'), Number.POSITIVE_INFINITY)
      expect(text(await store.get(onServer))).toBe('now') // answered while the other server is frozen
      await sleep(600)
      return { waiting }
    }, other)
    await waiting
    expect(text(await store.get(onOther))).toBe('later')
    expect(store.health!()).toMatchObject({ timeouts: 0, failures: 0 })
    await store.close()
  })

  it('a refused connection fails at once with the server and the cause, without waiting for connectTimeout', async () => {
    const port = await freePort()
    const store = memcachedStore({ servers: `127.0.0.1:${port}`, prefix, connectTimeout: '1h' })
    const err = (await store.get('k').catch((e: unknown) => e)) as CacheError
    expect(err.code).toBe('ERR_CACHE_UNAVAILABLE')
    expect(err.message).toContain(`127.0.0.1:${port}`)
    expect(err.message).toContain('ECONNREFUSED')
    await store.close()
  })

  it('validates connectTimeout', () => {
    expect(() => memcachedStore({ servers: server.url, connectTimeout: 'soon' as never })).toThrow(/connectTimeout/)
  })
})
