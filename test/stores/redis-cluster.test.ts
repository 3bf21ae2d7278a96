import type { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { type RedisTier, redisStore } from '../../src/redis.js'
import { missingServers, startRedisCluster, type TestCluster } from '../helpers/servers.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))

describe.skipIf(missingServers('cluster') !== undefined)('redisStore on a three-master Redis Cluster', () => {
  let cluster: TestCluster
  let store: RedisTier
  beforeAll(async () => {
    cluster = await startRedisCluster()
    store = redisStore({ cluster: cluster.nodes, prefix: 'cs-cluster:' })
  }, 60_000)
  afterAll(async () => {
    await store?.close()
    await cluster?.stop()
  })

  const keys = Array.from({ length: 100 }, (_, i) => `item:${i}`)

  it('spreads keys over every master and reads 100 of them with getMany', async () => {
    await store.setMany(keys.map((k) => ({ key: k, value: bytes(k), expiresAt: Date.now() + 60_000 })))
    const got = await store.getMany([...keys, 'missing'])
    expect(got.map(text)).toEqual([...keys, undefined])
    for (const port of cluster.ports) {
      const node = (store.client as Cluster).nodes('master').find((n) => n.options.port === port)!
      expect(await node.dbsize()).toBeGreaterThan(10)
    }
  })

  it('deleteMany across slots, clear on every master', async () => {
    await store.deleteMany(keys.slice(0, 50))
    expect((await store.getMany(keys.slice(0, 50))).every((v) => v === undefined)).toBe(true)
    expect(text(await store.get('item:99'))).toBe('item:99')
    await store.set('other:1', bytes('keep'), Number.POSITIVE_INFINITY)
    await store.clear('item:')
    expect((await store.getMany(keys)).every((v) => v === undefined)).toBe(true)
    expect(text(await store.get('other:1'))).toBe('keep')
    await store.clear()
    expect(await store.get('other:1')).toBeUndefined()
  })

  it('sends a big tick one command per key (no script batch per node); every value lands', async () => {
    const masters = (store.client as Cluster).nodes('master')
    await Promise.all(masters.map((n) => n.config('RESETSTAT')))
    const n = 5000
    const big = new Uint8Array(3 * 1024 * 1024).fill(7)
    await Promise.all([
      ...Array.from({ length: n }, (_, i) => store.set(`tick:${i}`, bytes(`v${i}`), Number.POSITIVE_INFINITY)),
      store.set('tick:big', big, Number.POSITIVE_INFINITY),
    ])
    const calls = async (cmd: string) => {
      let sum = 0
      for (const node of masters) {
        sum += Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(await node.info('commandstats'))?.[1] ?? 0)
      }
      return sum
    }
    expect({ evalsha: await calls('evalsha'), set: await calls('set') }).toEqual({ evalsha: 0, set: n + 1 })
    const got = await store.getMany(Array.from({ length: n }, (_, i) => `tick:${i}`))
    expect(got.map(text).filter((v, i) => v !== `v${i}`)).toEqual([])
    expect(Buffer.from((await store.get('tick:big'))!).equals(Buffer.from(big))).toBe(true)
  })

  it('serves a cache: values written by one instance are read by another', async () => {
    const a = createCache({ tiers: [memoryStore(), redisStore({ cluster: cluster.nodes, prefix: 'cs-cluster:' })] })
    const b = createCache({ tiers: [memoryStore(), redisStore({ cluster: cluster.nodes, prefix: 'cs-cluster:' })] })
    await a.setMany(keys.slice(0, 20).map((k) => [k, { k }] as [string, unknown]))
    expect(await b.getMany(keys.slice(0, 20))).toEqual(keys.slice(0, 20).map((k) => ({ k })))
    await a.close()
    await b.close()
  })
})
