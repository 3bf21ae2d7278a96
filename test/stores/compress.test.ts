import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CacheError, createCache, defaultSerializer, memoryStore } from '../../src/index.js'
import { memcachedStore } from '../../src/memcached.js'
import { redisStore } from '../../src/redis.js'
import { sqliteStore } from '../../src/sqlite.js'
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.js'
import { missingServers, startMemcached, type TestMemcached } from '../helpers/servers.js'

/** A catalogue page as an API returns it: repetitive JSON, as most cached values are. */
const page = (n: number) => ({
  items: Array.from({ length: n }, (_, i) => ({
    id: i,
    sku: `SKU-${String(i).padStart(6, '0')}`,
    title: `Product number ${i} in the catalogue`,
    price: { amount: 1000 + i, currency: 'EUR' },
    tags: ['new', 'featured', i % 2 === 0 ? 'even' : 'odd'],
  })),
})
const serializedLength = (v: unknown) => defaultSerializer.serialize(v).byteLength

describe('compress: options (issue 19, finding 11)', () => {
  it('are validated once, naming the option', () => {
    const bad = [{ algorithm: 'lz4' }, { level: 12 }, { algorithm: 'gzip', level: 0 }, { threshold: 'big' }]
    for (const compress of bad) {
      expect(() => sqliteStore({ path: ':memory:', compress: compress as never })).toThrow(CacheError)
    }
    expect(() => sqliteStore({ path: ':memory:', compress: { level: 12 } })).toThrow(/compress\.level/)
  })
})

describe('compress on SQLite (synchronous answers stay synchronous)', () => {
  it('round-trips, shrinks the file, and stores small or incompressible values as they are', async () => {
    for (const algorithm of ['brotli', 'gzip'] as const) {
      const store = sqliteStore({ path: ':memory:', compress: { algorithm } })
      const cache = createCache({ tiers: [store] })
      const value = page(200)
      await cache.set('page', value)
      expect(await cache.get('page')).toEqual(value)
      const size = (await store.size!()).bytes
      expect(size).toBeLessThan(serializedLength(value) / 3)
      const noise = randomBytes(8 * 1024)
      await cache.set('noise', noise)
      expect(Buffer.compare((await cache.get<Buffer>('noise'))!, noise)).toBe(0)
      await cache.set('small', { a: 1 })
      expect(await cache.get('small')).toEqual({ a: 1 })
      expect(store.get('small')).not.toBeInstanceOf(Promise)
      await cache.close()
    }
  })
})

const hasRedis = await redisAvailable()

describe.skipIf(!hasRedis)('compress on Redis (issue 19, finding 11)', () => {
  const prefix = uniquePrefix('compress')
  const plain = redisStore({ url: REDIS_URL, prefix })
  const packed = redisStore({ url: REDIS_URL, prefix, compress: { threshold: '1kb' } })
  afterAll(async () => {
    const client = plain.client as Redis
    const keys = await client.keys(`${prefix}*`)
    if (keys.length > 0) await client.del(...keys)
    await plain.close?.()
    await packed.close?.()
  })

  it('stores compressed bytes in Redis, and any process reads them, with or without the option', async () => {
    const writer = createCache({ tiers: [memoryStore(), packed] })
    const value = page(300)
    await writer.set('page', value, { tags: ['catalogue'] })
    const raw = await (plain.client as Redis).getBuffer(`${prefix}page`)
    expect(raw).not.toBeNull()
    expect(raw!.byteLength).toBeLessThan(serializedLength(value) / 3)
    // A process without compress, and one with it, read it through their own memory tiers.
    for (const store of [plain, packed]) {
      const reader = createCache({ tiers: [memoryStore(), store] })
      expect(await reader.get('page')).toEqual(value)
    }
    // Tags still work (the read with versions inflates too).
    await writer.invalidateTags(['catalogue'])
    expect(await createCache({ tiers: [memoryStore(), plain] }).get('page')).toBeUndefined()
  })
})

describe.skipIf(missingServers('memcached') !== undefined)('compress on Memcached (issue 19, finding 11)', () => {
  let server: TestMemcached
  beforeAll(async () => {
    server = await startMemcached({ itemSize: 1024 * 1024 })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('fits a value over the item size that ERR_CACHE_TOO_LARGE refused, as its message advises', async () => {
    const value = page(12_000)
    expect(serializedLength(value)).toBeGreaterThan(1024 * 1024)
    const without = memcachedStore({ servers: server.url, prefix: 'nc:', strict: true })
    const err = await createCache({ tiers: [without] })
      .set('big', value)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect((err as CacheError).code).toBe('ERR_CACHE_TOO_LARGE')
    expect((err as CacheError).message).toContain('compress')
    const withIt = memcachedStore({ servers: server.url, prefix: 'c:', strict: true, compress: true })
    const cache = createCache({ tiers: [withIt] })
    await cache.set('big', value)
    expect(await cache.get('big')).toEqual(value)
    await without.close()
    await withIt.close()
  })
})
