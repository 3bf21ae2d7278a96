/**
 * Redis behind the fault proxy: a memory tier over a Redis tier, `getOrSet`
 * on keys that miss while Redis is slow, refuses, resets, swallows, cuts
 * answers, is frozen (SIGSTOP) or killed (SIGKILL). Goals: no call fails, none
 * waits longer than the call budget (+10 %), and the tier serves again
 * within one breaker interval of the fault's end.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { missingServers, startRedis, type TestRedis } from '../helpers/servers.js'
import { type Fault, type FaultProxy, faultProxy } from './fault-proxy.js'
import { meetsGoals, type Row, record } from './table.js'
import { missLoad, timeUntil } from './workload.js'

const TIMEOUT = 200
const COOLDOWN = 1000
/** The most one call may wait on the tier, all its operations together. */
const BUDGET = TIMEOUT
const missing = missingServers('redis')

describe.skipIf(missing !== undefined)('Redis tier under faults', () => {
  let redis: TestRedis
  let proxy: FaultProxy
  let direct: Redis
  let cache: Cache
  let round = 0

  beforeAll(async () => {
    redis = await startRedis()
    proxy = await faultProxy(redis.port)
    direct = new Redis(redis.url, { maxRetriesPerRequest: 1 })
    cache = createCache({
      tiers: [
        memoryStore(),
        redisStore({
          url: `redis://${proxy.address}`,
          timeout: TIMEOUT,
          connectTimeout: TIMEOUT,
          breaker: { failures: 3, cooldown: COOLDOWN },
          prefix: 'faults:',
        }),
      ],
      ttl: '1m',
      budget: BUDGET,
    })
    // Connected and warm before the first fault.
    await cache.set('warm', 1)
  })

  afterAll(async () => {
    await cache?.close()
    direct?.disconnect()
    await proxy?.close()
    await redis?.stop()
  })

  /** Whether a value written through the cache now reaches Redis. */
  async function tierServes(): Promise<boolean> {
    const key = `probe-${round}-${Math.random()}`
    await cache.set(key, 1)
    return (await direct.exists(`faults:${key}`)) === 1
  }

  async function scenario(name: string, start: () => void | Promise<void>, end: () => void | Promise<void>) {
    round++
    await start()
    const out = await missLoad(cache, `r${round}`)
    const endedAt = performance.now()
    await end()
    const healthy = await tierServes().catch(() => false)
    const recoveryMs = healthy ? undefined : performance.now() - endedAt + (await timeUntil(tierServes))
    const row: Row = {
      scenario: `redis: ${name}`,
      requests: out.requests,
      failed: out.failed,
      slower: out.durations.filter((d) => d > BUDGET * 1.1).length,
      staleReads: undefined,
      writesLost: undefined,
      recoveryMs,
      worstMs: Math.max(...out.durations),
      recoveryBound: COOLDOWN + TIMEOUT * 2,
    }
    record(row)
    return row
  }

  const faults: [string, Fault][] = [
    ['no fault', { kind: 'none' }],
    ['latency 50 ms', { kind: 'latency', ms: 50 }],
    ['latency 1 s', { kind: 'latency', ms: 1000 }],
    ['refused (drop)', { kind: 'drop' }],
    ['reset', { kind: 'reset' }],
    ['blackhole', { kind: 'blackhole' }],
    ['cut mid-response', { kind: 'cut', bytes: 3 }],
  ]
  for (const [name, fault] of faults) {
    it(name, async () => {
      const row = await scenario(
        name,
        () => {
          proxy.set(fault)
          // A refused or swallowed server is met on the next connection: drop the open ones.
          if (fault.kind === 'drop' || fault.kind === 'blackhole') proxy.resetAll()
        },
        () => proxy.set({ kind: 'none' }),
      )
      expect(row, JSON.stringify(row)).toSatisfy(meetsGoals)
    })
  }

  it('SIGSTOP (frozen)', async () => {
    const row = await scenario(
      'SIGSTOP',
      () => redis.pause(),
      () => redis.resume(),
    )
    expect(row, JSON.stringify(row)).toSatisfy(meetsGoals)
  })

  it('SIGKILL, then restarted', async () => {
    const row = await scenario(
      'SIGKILL',
      () => redis.kill(),
      () => redis.restart(),
    )
    expect(row, JSON.stringify(row)).toSatisfy(meetsGoals)
  })
})
