/**
 * Two processes' caches (memory over Redis, with the Redis bus), both reaching
 * Redis through the fault proxy. During each fault, process A deletes keys
 * that B holds in memory (as after `db.update()`); once the fault has ended
 * the tiers are back (one breaker interval), and one bus delivery has passed
 * (`bus.flush()` answers), B must not serve a value A deleted: a stale read.
 * Recovery: until a write by A reaches B through Redis and the bus again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { type Bus, redisBus, redisStore } from '../../src/redis.js'
import { missingServers, startRedis, type TestRedis } from '../helpers/servers.js'
import { type Fault, type FaultProxy, faultProxy } from './fault-proxy.js'
import { BUDGET, COOLDOWN, TIMEOUT } from './scenarios.js'
import { meetsGoals, type Row, record } from './table.js'
import { timeUntil } from './workload.js'

const KEYS = 20

describe.skipIf(missingServers('redis') !== undefined)('Redis bus under faults: stale reads', () => {
  let redis: TestRedis
  let proxy: FaultProxy
  const made: { cache: Cache; bus: Bus }[] = []
  let round = 0

  function make(): { cache: Cache; bus: Bus } {
    const url = `redis://${proxy.address}`
    const bus = redisBus({ url, channel: 'faults', timeout: TIMEOUT, heartbeat: 250 })
    const tier = redisStore({
      url,
      timeout: TIMEOUT,
      connectTimeout: TIMEOUT,
      breaker: { failures: 3, cooldown: COOLDOWN },
    })
    const cache = createCache({ tiers: [memoryStore(), tier], bus, ttl: '1h', budget: BUDGET })
    made.push({ cache, bus })
    return { cache, bus }
  }

  beforeAll(async () => {
    redis = await startRedis()
    proxy = await faultProxy(redis.port)
  })
  afterAll(async () => {
    for (const m of made) await m.cache.close()
    await proxy?.close()
    await redis?.stop()
  })

  async function scenario(name: string, start: () => void | Promise<void>, end: () => void | Promise<void>) {
    round++
    const a = make()
    const b = make()
    const keys = Array.from({ length: KEYS }, (_, i) => `s${round}:${i}`)
    for (const k of keys) await a.cache.set(k, 'old')
    await b.bus.flush!()
    for (const k of keys) expect(await b.cache.get(k)).toBe('old') // B holds them in memory
    await start()
    const durations: number[] = []
    let failed = 0
    for (const k of keys) {
      const t = performance.now()
      await a.cache.delete(k).catch(() => failed++)
      durations.push(performance.now() - t)
    }
    // The fault ends when the server is back (a killed one restarted): recovery counts from then.
    await end()
    const endedAt = performance.now()
    // The tiers are back within one breaker interval (the goal of the tier rows); from then
    // on, one bus delivery later (B's subscriber answers a PING), no read may be stale.
    const recovered = await timeUntil(async () => {
      const probe = `probe-${round}-${Math.random()}`
      await a.cache.set(probe, 1)
      await b.bus.flush!()
      return (await b.cache.get(probe)) === 1 && !a.cache.stats().tierHealth.redis?.circuit.startsWith('open')
    })
    const recoveryMs = recovered === Number.POSITIVE_INFINITY ? recovered : performance.now() - endedAt
    await new Promise((r) => setTimeout(r, COOLDOWN + TIMEOUT * 2))
    await b.bus.flush!()
    let stale = 0
    for (const k of keys) if ((await b.cache.get(k)) === 'old') stale++
    const row: Row = {
      scenario: `bus: ${name}`,
      requests: keys.length * 2,
      failed,
      slower: durations.filter((d) => d > BUDGET * 1.1).length,
      staleReads: stale,
      writesLost: undefined,
      recoveryMs,
      worstMs: Math.max(...durations),
      recoveryBound: COOLDOWN + TIMEOUT * 2,
    }
    record(row)
    expect(row, JSON.stringify(row)).toSatisfy(meetsGoals)
  }

  const faults: [string, Fault][] = [
    ['reset', { kind: 'reset' }],
    ['blackhole', { kind: 'blackhole' }],
    ['latency 1 s', { kind: 'latency', ms: 1000 }],
  ]
  for (const [name, fault] of faults) {
    it(name, () =>
      scenario(
        name,
        () => proxy.set(fault),
        () => proxy.set({ kind: 'none' }),
      ),
    )
  }
  it('SIGSTOP', () =>
    scenario(
      'SIGSTOP',
      () => redis.pause(),
      () => redis.resume(),
    ))
  it('SIGKILL, then restarted', () =>
    scenario(
      'SIGKILL',
      () => redis.kill(),
      () => redis.restart(),
    ))
})
