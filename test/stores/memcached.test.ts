import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CacheError, createCache } from '../../src/index.js'
import { type MemcachedTier, memcachedStore } from '../../src/memcached.js'
import { missingServers, startMemcached, type TestMemcached } from '../helpers/servers.js'

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
