/**
 * The Ignite tier beyond the store contract: the startup warning that names
 * what the thin client lacks, the cross-process lock (a lease in a cache, as
 * the thin client has no lock), and an expired entry removed when read.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { igniteStore } from '../../src/ignite.js'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { startIgnite, type TestIgnite } from '../helpers/distributed.js'
import { missingServers } from '../helpers/servers.js'

const missing = missingServers('ignite')
let node: TestIgnite | undefined
const opened: Cache[] = []

beforeAll(async () => {
  if (missing === undefined) node = await startIgnite()
}, 120_000)
afterAll(async () => {
  for (const c of opened) await c.close().catch(() => {})
  await node?.stop()
})

describe('igniteStore without a server', () => {
  it('warns once per cache at startup, naming what the thin client cannot do; warn: false silences it', async () => {
    const warnings: Error[] = []
    const listen = (w: Error) => warnings.push(w)
    process.on('warning', listen)
    try {
      const cacheName = `cs-warn-${randomUUID()}`
      const a = igniteStore({ endpoints: '127.0.0.1:1', cache: cacheName })
      const b = igniteStore({ endpoints: '127.0.0.1:1', cache: cacheName })
      const quiet = igniteStore({ endpoints: '127.0.0.1:1', cache: `${cacheName}-quiet`, warn: false })
      await new Promise((r) => setImmediate(r))
      const ours = warnings.filter((w) => (w as { code?: string }).code === 'CACHESTACK_IGNITE_THIN_CLIENT')
      expect(ours).toHaveLength(1)
      expect(ours[0]!.message).toContain(cacheName)
      expect(ours[0]!.message).toMatch(/expiry policy/)
      expect(ours[0]!.message).toMatch(/clear\(prefix\).*scans/)
      for (const s of [a, b, quiet]) await s.close()
    } finally {
      process.off('warning', listen)
    }
  })

  it('refuses options it cannot use, with a coded error', () => {
    expect(() => igniteStore({} as never)).toThrow(expect.objectContaining({ code: 'ERR_CACHE_INVALID_OPTION' }))
    expect(() => igniteStore({ endpoints: [] })).toThrow(expect.objectContaining({ code: 'ERR_CACHE_INVALID_OPTION' }))
    expect(() => igniteStore({ endpoints: 'h:1', cache: '' })).toThrow(/cache/)
  })
})

describe.skipIf(missing !== undefined)('igniteStore on one node', () => {
  const tier = () => igniteStore({ endpoints: node!.endpoint, prefix: 'ig-test:', warn: false })

  it('lock: true runs the loader once across caches that share the node', async () => {
    const p = randomUUID()
    const caches = [0, 1, 2].map(() => createCache({ tiers: [memoryStore(), tier()] }))
    opened.push(...caches)
    let runs = 0
    const loader = async () => {
      runs++
      await new Promise((r) => setTimeout(r, 300))
      return 'once'
    }
    const results = await Promise.all(caches.map((c) => c.getOrSet(`${p}:k`, loader, { lock: true })))
    expect(results).toEqual(['once', 'once', 'once'])
    expect(runs).toBe(1)
  })

  it('a lock whose holder died is taken over once its lease ends (the thin client has no TTL)', async () => {
    const store = tier().store
    expect(await store.lock('lease', 500)).toBeTypeOf('function')
    expect(await store.lock('lease', 500)).toBeUndefined()
    await new Promise((r) => setTimeout(r, 600))
    const next = await store.lock('lease', 500)
    expect(next).toBeTypeOf('function')
    await next!()
    expect(await store.lock('lease', 500)).toBeTypeOf('function')
    await store.close()
  })

  it('an expired entry is removed from the server when read', async () => {
    const t = tier()
    const store = t.store
    const key = `${randomUUID()}:short`
    await store.set(key, new TextEncoder().encode('v'), Date.now() + 200)
    const before = await store.size()
    await new Promise((r) => setTimeout(r, 300))
    expect(await store.get(key)).toBeUndefined()
    await new Promise((r) => setTimeout(r, 100))
    expect((await store.size()).entries).toBe(before.entries - 1)
    await store.close()
  })
})
