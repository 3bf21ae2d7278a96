import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CacheError, createCache, manualClock, memoryStore } from '../../src/index.js'
import { type RedisTier, redisStore } from '../../src/redis.js'
import { BATCH_MAX_BYTES, BATCH_MAX_CALLS } from '../../src/stores/redis/tick-batch.js'
import { REDIS_URL } from '../helpers/redis.js'
import { freePort, missingServers, startRedis, type TestRedis, type TestServer, waitFor } from '../helpers/servers.js'

const prefix = `cs-test-${process.pid}-${Math.random().toString(36).slice(2)}:`
const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))
const MIB = 1024 * 1024

/** Counts the client's `evalsha`, `eval` and `set` calls (the tick batch's commands) from now on. */
function countCommands(client: Redis): { evalsha: number; eval: number; set: number } {
  const calls = { evalsha: 0, eval: 0, set: 0 }
  const c = client as unknown as Record<string, (...args: unknown[]) => unknown>
  for (const name of ['evalsha', 'eval', 'set'] as const) {
    const original = c[name]!.bind(client)
    c[name] = (...args: unknown[]) => {
      calls[name]++
      return original(...args)
    }
  }
  return calls
}

describe('redisStore options', () => {
  it('needs exactly one way to connect, and says which', () => {
    expect(() => redisStore({})).toThrow(/exactly one of url, client, cluster or sentinels/)
    expect(() => redisStore({ url: 'redis://x', sentinels: [{ host: 'x', port: 1 }] })).toThrow(/url and sentinels/)
    expect(() => redisStore({ client: {} as never })).toThrow(/ioredis Redis or Cluster/)
    expect(() => redisStore({ url: 'redis://x', tagReads: 'sometimes' as never })).toThrow(/tagReads/)
    try {
      redisStore({})
    } catch (err) {
      expect((err as CacheError).code).toBe('ERR_CACHE_INVALID_OPTION')
    }
  })
})

describe.skipIf(missingServers('redis') !== undefined)('redisStore on the test Redis (REDIS_URL)', () => {
  let store: RedisTier
  beforeAll(() => {
    store = redisStore({ url: REDIS_URL, prefix })
  })
  afterAll(async () => {
    await store.clear()
    await store.close()
  })

  it('round-trips bytes with a PX expiry from the cache clock', async () => {
    const clock = manualClock()
    store.init({ clock, onEvict() {} })
    await store.set('a', bytes('hello'), clock.now() + 60_000)
    expect(text(await store.get('a'))).toBe('hello')
    const pttl = await store.client.pttl(`${prefix}a`)
    expect(pttl).toBeGreaterThan(50_000)
    expect(pttl).toBeLessThanOrEqual(60_000)
    await store.set('forever', bytes('x'), Number.POSITIVE_INFINITY)
    expect(await store.client.pttl(`${prefix}forever`)).toBe(-1)
    await store.set('past', bytes('x'), clock.now() - 1)
    expect(await store.get('past')).toBeUndefined()
    store.init({ clock: { now: Date.now }, onEvict() {} })
  })

  it('keeps binary values byte for byte', async () => {
    const all = new Uint8Array(256).map((_, i) => i)
    await store.set('bin', all, Number.POSITIVE_INFINITY)
    expect(Array.from((await store.get('bin'))!)).toEqual(Array.from(all))
  })

  it('getMany in order with misses; setMany; deleteMany', async () => {
    await store.setMany([
      { key: 'm1', value: bytes('1'), expiresAt: Date.now() + 60_000 },
      { key: 'm2', value: bytes('2'), expiresAt: Number.POSITIVE_INFINITY },
    ])
    expect((await store.getMany(['m2', 'nope', 'm1'])).map(text)).toEqual(['2', undefined, '1'])
    await store.deleteMany(['m1', 'm2'])
    expect((await store.getMany(['m1', 'm2'])).map(text)).toEqual([undefined, undefined])
    expect(await store.getMany([])).toEqual([])
  })

  it('treats bytes another program wrote under its prefix as a miss', async () => {
    await store.client.set(`${prefix}foreign`, Buffer.from([0x07, 1, 2]))
    expect(await store.get('foreign')).toBeUndefined()
    expect(await store.getWithVersions('foreign')).toBeUndefined()
    expect(await store.getMany(['foreign'])).toEqual([undefined])
  })

  it('delete says whether the key was there', async () => {
    await store.set('d', bytes('x'), Number.POSITIVE_INFINITY)
    expect(await store.delete('d')).toBe(true)
    expect(await store.delete('d')).toBe(false)
  })

  it('clear(prefix) scans only its own keys, glob characters taken literally', async () => {
    const other = new Redis(REDIS_URL)
    await other.set(`${prefix.slice(0, -1)}-other:k`, 'keep')
    for (let i = 0; i < 50; i++) await store.set(`ns*1:${i}`, bytes('x'), Number.POSITIVE_INFINITY)
    await store.set('ns11:k', bytes('keep'), Number.POSITIVE_INFINITY)
    await store.clear('ns*1:')
    expect(await store.get('ns*1:0')).toBeUndefined()
    expect(text(await store.get('ns11:k'))).toBe('keep')
    await store.clear()
    expect(await store.get('ns11:k')).toBeUndefined()
    expect(await other.get(`${prefix.slice(0, -1)}-other:k`)).toBe('keep')
    await other.del(`${prefix.slice(0, -1)}-other:k`)
    other.disconnect()
  })

  it("uses a user's own client and leaves it open on close", async () => {
    const client = new Redis(REDIS_URL)
    const own = redisStore({ client, prefix })
    await own.set('own', bytes('v'), Number.POSITIVE_INFINITY)
    expect(text(await store.get('own'))).toBe('v')
    await own.close()
    expect(await client.ping()).toBe('PONG')
    client.disconnect()
  })

  it('works over a client with auto-pipelining, tags included', async () => {
    const client = new Redis(REDIS_URL, { enableAutoPipelining: true })
    const auto = redisStore({ client, prefix })
    const cache = createCache({ tiers: [auto] })
    await Promise.all([cache.set('ap:1', 1, { tags: [`${prefix}ap`] }), cache.set('ap:2', 2)])
    expect(await Promise.all([cache.get('ap:1'), cache.get('ap:2'), auto.getWithVersions('ap:1')])).toEqual([
      1,
      2,
      { value: expect.anything(), versions: [0] },
    ])
    await cache.invalidateTags([`${prefix}ap`])
    expect(await cache.get('ap:1')).toBeUndefined()
    expect(cache.stats().tierErrors.redis).toBe(0)
    await client.del(`{${prefix}v}:${prefix}ap`)
    client.disconnect()
  })

  it('splits a tick of 20,000 sets into capped script calls; every value lands', async () => {
    expect(BATCH_MAX_CALLS).toBe(500)
    // What is counted is calls, not time: a loaded machine must not time the 20,000 sets out.
    const own = redisStore({ url: REDIS_URL, prefix, timeout: '60s' })
    await own.client.ping()
    const calls = countCommands(own.client as Redis)
    const n = 20_000
    const keys = Array.from({ length: n }, (_, i) => `many:${i}`)
    await Promise.all(keys.map((k, i) => own.set(k, bytes(`v${i}`), Number.POSITIVE_INFINITY)))
    // 40 script calls of 500 keys each, not one of 20,000.
    expect(calls.evalsha).toBe(n / BATCH_MAX_CALLS)
    expect(calls.set).toBe(0)
    const got = (await own.getMany(keys)).map(text)
    expect(got.filter((v, i) => v !== `v${i}`)).toEqual([])
    await own.close()
  })

  it('sends values of several MB each on their own, small ones still batched; all read back whole', async () => {
    const own = redisStore({ url: REDIS_URL, prefix, timeout: '60s' }) // counts calls, not time
    await own.client.ping()
    const calls = countCommands(own.client as Redis)
    const big = (fill: number) => new Uint8Array(3 * MIB).fill(fill)
    expect(3 * MIB).toBeGreaterThan(BATCH_MAX_BYTES)
    // Small a, b; big 1; small c, d; big 2, big 3; small e: all in one tick.
    const values: [string, Uint8Array][] = [
      ['mb:a', bytes('a')],
      ['mb:b', bytes('b')],
      ['mb:1', big(1)],
      ['mb:c', bytes('c')],
      ['mb:d', bytes('d')],
      ['mb:2', big(2)],
      ['mb:3', big(3)],
      ['mb:e', bytes('e')],
    ]
    await Promise.all(values.map(([k, v]) => own.set(k, v, Number.POSITIVE_INFINITY)))
    // [a, b] and [c, d] as scripts; each big value and the lone e as a plain SET.
    expect(calls).toMatchObject({ evalsha: 2, set: 4 })
    const got = await Promise.all(values.map(([k]) => own.get(k)))
    for (let i = 0; i < values.length; i++) expect(Buffer.from(got[i]!).equals(Buffer.from(values[i]![1]))).toBe(true)
    await own.close()
  })

  it('works as a cache tier under memory', async () => {
    const cache = createCache({ tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })] })
    await cache.set('user:1', { name: 'Ada', at: new Date(0) })
    const second = createCache({ tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })] })
    expect(await second.get('user:1')).toEqual({ name: 'Ada', at: new Date(0) })
    await cache.close()
    await second.close()
  })
})

// SCRIPT FLUSH and commandstats need a server of the test's own, not the shared one.
describe.skipIf(missingServers('redis') !== undefined)('redisStore tag reads, on a redis-server of its own', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(() => server.stop())

  for (const tagReads of ['script', 'get', 'auto'] as const) {
    it(`shared versions: INCR to bump, read with the entry (tagReads: ${tagReads}), after SCRIPT FLUSH too`, async () => {
      const s = redisStore({ url: server.url, prefix, tagReads })
      const t1 = `${prefix}${tagReads}-t1`
      const t2 = `${prefix}${tagReads}-t2`
      expect(await s.versions.read([t1, t2])).toEqual([0, 0])
      expect(await s.versions.bump([t1])).toEqual([1])
      await s.set('tagged', bytes('v'), Number.POSITIVE_INFINITY, [t1, t2, '\u0000ns:ünï'])
      expect(await s.getWithVersions('tagged')).toEqual({ value: expect.anything(), versions: [1, 0, 0] })
      expect(text((await s.getWithVersions('tagged'))!.value)).toBe('v')
      await s.versions.bump([t2, t1])
      await s.client.script('FLUSH')
      expect((await s.getWithVersions('tagged'))!.versions).toEqual([2, 1, 0])
      await s.set('plain', bytes('p'), Number.POSITIVE_INFINITY)
      expect(await s.getWithVersions('plain')).toEqual({ value: expect.anything(), versions: [] })
      expect(await s.getWithVersions('absent')).toBeUndefined()
      expect(text(await s.get('tagged'))).toBe('v')
      await s.client.del(`{${prefix}v}:${t1}`, `{${prefix}v}:${t2}`)
      await s.close()
    })
  }

  it('reads with GET while tagged hits are rare, with one script while they are common', async () => {
    const store = redisStore({ url: server.url, prefix })
    const calls = async (cmd: string) => {
      const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(await store.client.info('commandstats'))
      return m ? Number(m[1]) : 0
    }
    await store.client.config('RESETSTAT')
    await store.set('plain', bytes('p'), Number.POSITIVE_INFINITY)
    await store.set('tagged', bytes('t'), Number.POSITIVE_INFINITY, ['users'])
    for (let i = 0; i < 20; i++) await store.getWithVersions('plain')
    expect(await calls('evalsha')).toBe(0)
    // A tagged hit read with GET costs a second command (MGET of its counters).
    const mget = await calls('mget')
    expect((await store.getWithVersions('tagged'))!.versions).toEqual([0])
    expect(await calls('mget')).toBe(mget + 1)
    for (let i = 0; i < 20; i++) await store.getWithVersions('tagged')
    const scripts = (await calls('evalsha')) + (await calls('eval'))
    expect(scripts).toBeGreaterThan(0)
    expect((await store.getWithVersions('tagged'))!.versions).toEqual([0])
    await store.close()
  })
})

/** Records the commands and the bytes (keys and values) of each pipeline the client sends from now on. */
function recordPipelines(client: Redis): { commands: number; bytes: number }[] {
  const sent: { commands: number; bytes: number }[] = []
  const original = client.pipeline.bind(client)
  client.pipeline = ((...args: Parameters<Redis['pipeline']>) => {
    const pipe = original(...args)
    const record = { commands: 0, bytes: 0 }
    const p = pipe as unknown as Record<string, (...a: unknown[]) => unknown>
    for (const name of ['set', 'unlink'] as const) {
      const command = p[name]!.bind(pipe)
      p[name] = (...a: unknown[]) => {
        record.commands++
        record.bytes += (a[0] as string).length + (name === 'set' ? (a[1] as Buffer).byteLength : 0)
        return command(...a)
      }
    }
    const exec = pipe.exec.bind(pipe)
    pipe.exec = ((...a: Parameters<typeof exec>) => {
      sent.push(record)
      return exec(...a)
    }) as typeof exec
    return pipe
  }) as Redis['pipeline']
  return sent
}

// commandstats needs a server of the test's own, not the shared one.
describe.skipIf(missingServers('redis') !== undefined)(
  'redisStore many keys at once, on a redis-server of its own',
  () => {
    let server: TestServer
    let store: RedisTier
    beforeAll(async () => {
      server = await startRedis()
      store = redisStore({ url: server.url, prefix, timeout: false })
    })
    afterAll(async () => {
      await store.close()
      await server.stop()
    })
    const calls = async (cmd: string) => {
      const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(await store.client.info('commandstats'))
      return m ? Number(m[1]) : 0
    }

    it('a setMany of 20,000 entries goes out in capped pipelines, in order; getMany and deleteMany in capped commands', async () => {
      const n = 20_000
      const value = (i: number) => bytes(`value ${i} `.padEnd(100, '.'))
      const entries = Array.from({ length: n }, (_, i) => ({
        key: `many:${i}`,
        value: value(i),
        expiresAt: Number.POSITIVE_INFINITY,
      }))
      // A key written twice, in the first pipeline and after the last: the later write wins.
      entries.push({ key: 'many:0', value: bytes('last'), expiresAt: Number.POSITIVE_INFINITY })
      const keys = entries.slice(0, n).map((e) => e.key)
      const pipelines = recordPipelines(store.client as Redis)
      await store.client.config('RESETSTAT')
      await store.setMany(entries)
      expect(await calls('set')).toBe(n + 1)
      expect(pipelines.length).toBe(Math.ceil((n + 1) / BATCH_MAX_CALLS))
      expect(pipelines.reduce((sum, p) => sum + p.commands, 0)).toBe(n + 1)
      for (const p of pipelines) {
        expect(p.commands).toBeLessThanOrEqual(BATCH_MAX_CALLS)
        expect(p.bytes).toBeLessThanOrEqual(BATCH_MAX_BYTES)
      }

      const got = await store.getMany(keys)
      expect(await calls('mget')).toBe(Math.ceil(n / BATCH_MAX_CALLS))
      expect(got).toHaveLength(n)
      expect(text(got[0])).toBe('last')
      for (let i = 1; i < n; i++) expect(text(got[i])).toBe(text(value(i)))

      await store.deleteMany(keys)
      expect(await calls('unlink')).toBe(Math.ceil(n / BATCH_MAX_CALLS))
      expect(await store.client.dbsize()).toBe(0)
    })

    it('a setMany of large values goes out in pipelines of at most 1 MiB; a value over 1 MiB goes alone', async () => {
      const big = new Uint8Array(100 * 1024).fill(7)
      const huge = new Uint8Array(2 * MIB).fill(9)
      const entries = Array.from({ length: 40 }, (_, i) => ({
        key: `large:${i}`,
        value: big,
        expiresAt: Number.POSITIVE_INFINITY,
      }))
      entries.splice(20, 0, { key: 'huge', value: huge, expiresAt: Number.POSITIVE_INFINITY })
      const pipelines = recordPipelines(store.client as Redis)
      await store.setMany(entries)
      const total = pipelines.reduce((sum, p) => sum + p.bytes, 0)
      expect(total).toBeGreaterThan(5 * MIB)
      expect(pipelines.reduce((sum, p) => sum + p.commands, 0)).toBe(41)
      expect(pipelines.filter((p) => p.bytes > BATCH_MAX_BYTES)).toEqual([{ commands: 1, bytes: expect.any(Number) }])
      expect(pipelines.length).toBeGreaterThanOrEqual(5)
      const got = await store.getMany(entries.map((e) => e.key))
      expect(got.map((v) => v?.byteLength)).toEqual(entries.map((e) => e.value.byteLength))
      expect(Buffer.from(got[20]!).equals(huge)).toBe(true)
      await store.deleteMany(entries.map((e) => e.key))
      expect(await store.client.dbsize()).toBe(0)
    })
  },
)

describe.skipIf(missingServers('redis') !== undefined)(
  'redisStore writes of one tick, on a redis-server of its own',
  () => {
    let server: TestServer
    beforeAll(async () => {
      server = await startRedis()
    })
    afterAll(() => server.stop())
    const statsOf = (store: RedisTier) => async () => {
      const info = await store.client.info('commandstats')
      const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0)
      return { set: calls('set'), evalsha: calls('evalsha'), eval: calls('eval') }
    }

    it('go out as one command, each key with its own expiry (none for Infinity)', async () => {
      const clock = manualClock(1_000_000)
      const store = redisStore({ url: server.url, prefix })
      store.init({ clock, onEvict() {} })
      const stats = statsOf(store)
      // The first batch on a fresh server finds no script (NOSCRIPT) and sends it: as after a restart or failover.
      await store.client.config('RESETSTAT')
      await Promise.all([store.set('w:0', bytes('0'), Infinity), store.set('w:00', bytes('00'), Infinity)])
      expect(await stats()).toMatchObject({ evalsha: 1, eval: 1 })
      await store.client.config('RESETSTAT')
      await Promise.all([
        store.set('w:1', bytes('one'), clock.now() + 60_000),
        store.set('w:2', bytes('two'), clock.now() + 3_600_000),
        store.set('w:3', bytes('three'), Number.POSITIVE_INFINITY, ['tag']),
      ])
      // One command from the client; the three SETs ran inside it (commandstats counts a script's calls too).
      expect(await stats()).toEqual({ set: 3, evalsha: 1, eval: 0 })
      const ttl = await Promise.all(['w:1', 'w:2', 'w:3'].map((k) => store.client.pttl(prefix + k)))
      expect(ttl[0]).toBeGreaterThan(50_000)
      expect(ttl[0]).toBeLessThanOrEqual(60_000)
      expect(ttl[1]).toBeGreaterThan(3_000_000)
      expect(ttl[2]).toBe(-1)
      const keys = ['w:0', 'w:00', 'w:1', 'w:2', 'w:3']
      expect(await Promise.all(keys.map((k) => store.get(k).then(text)))).toEqual(['0', '00', 'one', 'two', 'three'])
      expect((await store.getWithVersions('w:3'))!.versions).toEqual([0])
      // A lone write is a plain SET.
      await store.client.config('RESETSTAT')
      await store.set('w:4', bytes('four'), Number.POSITIVE_INFINITY)
      expect(await stats()).toEqual({ set: 1, evalsha: 0, eval: 0 })
      await store.close()
    })

    it('keep the order of calls on one key: a read or a delete after a write sees the write', async () => {
      const store = redisStore({ url: server.url, prefix })
      await store.set('o:1', bytes('old'), Number.POSITIVE_INFINITY)
      await store.set('o:2', bytes('old'), Number.POSITIVE_INFINITY)
      // A read batch is open before the write, so the read after it must not join that batch.
      const [before, , after, , deleted, gone] = await Promise.all([
        store.get('o:1').then(text),
        store.set('o:1', bytes('new'), Number.POSITIVE_INFINITY),
        store.get('o:1').then(text),
        store.set('o:2', bytes('new'), Number.POSITIVE_INFINITY),
        store.delete('o:2'),
        store.get('o:2'),
      ])
      expect([before, after, deleted, gone]).toEqual(['old', 'new', true, undefined])
      expect(await store.client.exists(`${prefix}o:2`)).toBe(0)
      await store.close()
    })

    it('a tick over the caps goes out as several script calls, in call order within and across keys', async () => {
      const store = redisStore({ url: server.url, prefix, timeout: '60s' }) // counts calls, not time
      const stats = statsOf(store)
      await Promise.all([store.set('c:warm', bytes('1'), Infinity), store.set('c:warm2', bytes('2'), Infinity)])
      await store.client.config('RESETSTAT')
      // 20,000 sets in one tick: 40 calls on the server, 20,000 SETs run inside them.
      const n = 20_000
      await Promise.all(Array.from({ length: n }, (_, i) => store.set(`c:${i}`, bytes(`v${i}`), Infinity)))
      expect(await stats()).toEqual({ set: n, evalsha: n / BATCH_MAX_CALLS, eval: 0 })
      // Writes to a few keys, with reads among them, across several batch splits: each read sees the write before it.
      const writes = 3 * BATCH_MAX_CALLS
      const reads: Promise<[string, string | undefined]>[] = []
      const sets: Promise<void>[] = []
      const last: string[] = []
      for (let i = 0; i < writes; i++) {
        const key = `ord:${i % 7}`
        sets.push(store.set(key, bytes(String(i)), Infinity))
        last[i % 7] = String(i)
        if (i % 97 === 0) reads.push(store.get(key).then((v) => [String(i), text(v)]))
      }
      await Promise.all(sets)
      for (const [wrote, read] of await Promise.all(reads)) expect(read).toBe(wrote)
      expect((await store.getMany(Array.from({ length: 7 }, (_, j) => `ord:${j}`))).map(text)).toEqual(last)
      await store.close()
    })

    it('a failing batch rejects every writer with the typed error', async () => {
      const store = redisStore({ url: server.url, prefix, breaker: false })
      await store.client.config('SET', 'maxmemory-policy', 'noeviction')
      await store.client.config('SET', 'maxmemory', '1')
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) => store.set(`f:${i}`, bytes('v'), Number.POSITIVE_INFINITY)),
        )
        for (const r of results) {
          expect(r.status).toBe('rejected')
          const err = (r as PromiseRejectedResult).reason as CacheError
          expect(err.code).toBe('ERR_CACHE_UNAVAILABLE')
          expect(err.message).toMatch(/Redis set failed.*OOM/s)
        }
      } finally {
        await store.client.config('SET', 'maxmemory', '0')
      }
      expect(await store.client.exists(`${prefix}f:0`)).toBe(0)
      await store.close()
    })
  },
)

describe.skipIf(missingServers('redis') !== undefined)('redisStore when its server dies', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(() => server.stop())

  it('rejects with ERR_CACHE_UNAVAILABLE while down, works again after restart', async () => {
    const store = redisStore({ url: server.url, prefix })
    await store.set('k', bytes('v'), Number.POSITIVE_INFINITY)
    await server.kill()
    const err = await store.get('k').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CacheError)
    expect((err as CacheError).code).toBe('ERR_CACHE_UNAVAILABLE')
    await server.restart()
    await expect.poll(() => store.get('k').then(text, () => 'error'), { timeout: 10_000 }).toBe(undefined)
    await store.set('k', bytes('again'), Number.POSITIVE_INFINITY)
    expect(text(await store.get('k'))).toBe('again')
    await store.close()
  })
})

describe.skipIf(missingServers('redis') !== undefined)('redisStore while its first connection is made', () => {
  let server: TestRedis
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(() => server.stop())
  /** Runs `body` while the server is frozen (SIGSTOP): it accepts connections and answers nothing. */
  const whilePaused = async <T>(body: () => Promise<T>): Promise<T> => {
    server.pause()
    try {
      return await body()
    } finally {
      server.resume()
    }
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  for (const how of ['url', 'client'] as const) {
    it(`times the first operations from when the client is ready, not from when they were issued (${how})`, async () => {
      // The server is frozen for three times the timeout: connecting takes that long, as under load.
      const client = how === 'client' ? new Redis(server.url) : undefined
      const store = redisStore({
        ...(client ? { client } : { url: server.url }),
        prefix,
        timeout: 200,
        breaker: false,
      })
      const { calls } = await whilePaused(async () => {
        const calls = Promise.all([store.set('first', bytes('v'), Number.POSITIVE_INFINITY), store.get('first')])
        await sleep(600)
        return { calls } // not the promise itself: returning it would wait for it before resuming
      })
      const [, got] = await calls
      expect(text(got)).toBe('v')
      expect(store.health!()).toMatchObject({ timeouts: 0, failures: 0 })
      await store.close()
      client?.disconnect()
    })
  }

  it('a lazyConnect client: connectTimeout counts from its first command, which starts the connection', async () => {
    const store = redisStore({
      url: server.url,
      prefix,
      timeout: 200,
      connectTimeout: 1000,
      breaker: false,
      redisOptions: { lazyConnect: true },
    })
    await sleep(1200) // longer than connectTimeout, before any command
    const { call } = await whilePaused(async () => {
      const call = store.get('lazy')
      await sleep(600)
      return { call }
    })
    expect(await call).toBeUndefined()
    expect(store.health!()).toMatchObject({ timeouts: 0, failures: 0 })
    await store.close()
  })

  it('fails with ERR_CACHE_UNAVAILABLE naming the server once connectTimeout lapses; plain timeouts after', async () => {
    await whilePaused(async () => {
      const store = redisStore({ url: server.url, prefix, timeout: 200, connectTimeout: 300, breaker: false })
      const err = (await store.get('k').catch((e: unknown) => e)) as CacheError
      expect(err).toBeInstanceOf(CacheError)
      expect(err.code).toBe('ERR_CACHE_UNAVAILABLE')
      expect(err.message).toContain(`could not connect to 127.0.0.1:${server.port} within 300 ms`)
      expect(err.message).toContain('connectTimeout')
      // The first connection is over: a call now gets the plain timeout, so a dead server is skipped quickly.
      await expect(store.get('k')).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' })
      await store.close()
    })
  })

  it('a refused connection fails with ERR_CACHE_UNAVAILABLE naming the server and the cause', async () => {
    const port = await freePort()
    const store = redisStore({ url: `redis://127.0.0.1:${port}`, prefix })
    const err = (await store.get('k').catch((e: unknown) => e)) as CacheError
    expect(err.code).toBe('ERR_CACHE_UNAVAILABLE')
    expect(err.message).toContain(`127.0.0.1:${port}`)
    expect(err.message).toContain('ECONNREFUSED')
    await store.close()
  })

  it('validates connectTimeout', () => {
    expect(() => redisStore({ url: server.url, connectTimeout: 'soon' as never })).toThrow(/connectTimeout/)
  })
})

describe.skipIf(missingServers('redis') !== undefined)('redisStore lock when its server stops answering', () => {
  let server: TestRedis
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(() => server.stop())

  it('getOrSet(…, { lock }) answers from its loader when Redis freezes before the lock is released', async () => {
    const store = redisStore({ url: server.url, prefix, timeout: 100, breaker: { failures: 1, cooldown: '1h' } })
    const cache = createCache({ tiers: [memoryStore(), store] })
    const errors: string[] = []
    cache.on('error', ({ operation, error }) => errors.push(`${operation} ${(error as CacheError).code}`))
    try {
      const value = await cache.getOrSet(
        'locked',
        () => {
          server.pause() // the lock is held; the value's write and the release now get no answer
          return 'loaded'
        },
        { lock: true },
      )
      expect(value).toBe('loaded')
      // The call answered within its budget; the write (and the release) go on in the
      // background, time out and open the circuit (the lock expires on its own).
      await waitFor('the write to time out', () => errors.includes('set ERR_CACHE_TIMEOUT'))
      expect(errors.every((e) => e.endsWith('ERR_CACHE_TIMEOUT'))).toBe(true)
      expect(store.health!()).toMatchObject({ circuit: 'open' })
      // While the circuit is open, lock() rejects (never throws): the cache loads without it.
      let pending: Promise<unknown> | undefined
      expect(() => {
        pending = store.lock!('other', 1000)
      }).not.toThrow()
      await expect(pending).rejects.toMatchObject({ code: 'ERR_CACHE_CIRCUIT_OPEN' })
      expect(await cache.getOrSet('other', () => 'also loaded', { lock: true })).toBe('also loaded')
    } finally {
      server.resume()
      await store.close()
    }
  })
})
