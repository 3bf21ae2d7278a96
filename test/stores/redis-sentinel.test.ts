import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { type RedisTier, redisStore } from '../../src/redis.js'
import { missingServers, startSentinel, type TestSentinel } from '../helpers/servers.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))

describe.skipIf(missingServers('sentinel') !== undefined)('redisStore through Sentinel', () => {
  let sentinel: TestSentinel
  let store: RedisTier
  beforeAll(async () => {
    sentinel = await startSentinel()
    store = redisStore({ sentinels: sentinel.sentinels, masterName: sentinel.masterName, prefix: 'cs-sentinel:' })
  }, 60_000)
  afterAll(async () => {
    await store?.close()
    await sentinel?.stop()
  })

  it('finds the master through the sentinels', async () => {
    await store.set('k', bytes('before'), Number.POSITIVE_INFINITY)
    const direct = new Redis({ host: '127.0.0.1', port: sentinel.masterPort })
    direct.on('error', () => {})
    expect(await direct.exists('cs-sentinel:k')).toBe(1)
    // Make sure the replica has it before the master dies.
    expect(await direct.wait(1, 5000)).toBe(1)
    direct.disconnect()
  })

  it('keeps working after the master is killed and a replica is promoted', async () => {
    const cache = createCache({ tiers: [memoryStore(), store] })
    await cache.set('user:1', { name: 'Ada' })
    const direct = new Redis({ host: '127.0.0.1', port: sentinel.masterPort })
    direct.on('error', () => {})
    await direct.wait(1, 5000)
    direct.disconnect()

    await sentinel.kill()
    // While the master is gone the cache still answers from the loader (fail-open).
    expect(await cache.getOrSet('during', () => 'from source')).toBe('from source')

    const promoted = await sentinel.waitForFailover(sentinel.masterPort)
    expect(promoted).toBe(sentinel.replicaPort)
    await expect
      .poll(async () => text(await store.get('k').catch(() => undefined)), { timeout: 20_000, interval: 200 })
      .toBe('before')
    await store.set('after', bytes('failover'), Number.POSITIVE_INFINITY)
    const onNewMaster = new Redis({ host: '127.0.0.1', port: promoted })
    expect(await onNewMaster.exists('cs-sentinel:after')).toBe(1)
    onNewMaster.disconnect()
    const fresh = createCache({ tiers: [memoryStore(), store] })
    expect(await fresh.get('user:1')).toEqual({ name: 'Ada' })
  }, 60_000)
})
