/**
 * The scenarios every remote tier goes through behind the fault proxy: a
 * memory tier over the tier, `getOrSet` on keys that miss while the server is
 * slow, refuses, resets, swallows, cuts answers, is frozen (SIGSTOP) or killed
 * (SIGKILL). Each row: no call fails, none waits longer than the budget
 * (+10 %), and the tier serves again within one breaker interval (the
 * cooldown plus the probe's timeouts) of the fault's end.
 * @module
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Cache, createCache, memoryStore, type Store } from '../../src/index.js'
import type { TestServer } from '../helpers/servers.js'
import { type Fault, type FaultProxy, faultProxy } from './fault-proxy.js'
import { meetsGoals, type Row, record } from './table.js'
import { missLoad, timeUntil } from './workload.js'

export const TIMEOUT = 200
export const COOLDOWN = 1000
/** The most one call may wait on the tier, all its operations together. */
export const BUDGET = TIMEOUT

/** What a tier's fault file provides. */
export interface TierUnderTest {
  /** The name in the table (`redis`, `memcached`). */
  name: string
  /** Starts the server. */
  start(): Promise<TestServer & { pause(): void; resume(): void }>
  /** The tier, reaching the server at `address` (`127.0.0.1:port`), guarded with TIMEOUT and COOLDOWN. */
  tier(address: string): Store
}

const FAULTS: [string, Fault][] = [
  ['no fault', { kind: 'none' }],
  ['latency 50 ms', { kind: 'latency', ms: 50 }],
  ['latency 1 s', { kind: 'latency', ms: 1000 }],
  ['refused (drop)', { kind: 'drop' }],
  ['reset', { kind: 'reset' }],
  ['blackhole', { kind: 'blackhole' }],
  ['cut mid-response', { kind: 'cut', bytes: 3 }],
]

/** Declares the scenarios of one tier (call inside a describe block). */
export function tierScenarios(t: TierUnderTest): void {
  let server: TestServer & { pause(): void; resume(): void }
  let proxy: FaultProxy
  let cache: Cache
  /** A cache on the same server without the proxy (and no memory tier): what the server holds. */
  let direct: Cache
  let round = 0

  beforeAll(async () => {
    server = await t.start()
    proxy = await faultProxy(server.port)
    cache = createCache({ tiers: [memoryStore(), t.tier(proxy.address)], ttl: '1m', budget: BUDGET })
    direct = createCache({ tiers: [t.tier(`127.0.0.1:${server.port}`)], ttl: '1m', budget: false })
    await cache.set('warm', 1)
  })

  afterAll(async () => {
    await cache?.close()
    await direct?.close()
    await proxy?.close()
    await server?.stop()
  })

  /** Whether a value written through the cache now reaches the server. */
  async function tierServes(): Promise<boolean> {
    const key = `probe-${round}-${Math.random()}`
    await cache.set(key, 1)
    return (await direct.get(key)) === 1
  }

  async function scenario(name: string, start: () => void | Promise<void>, end: () => void | Promise<void>) {
    round++
    await start()
    const out = await missLoad(cache, `r${round}`)
    // The fault ends when the server is back (a killed one restarted): recovery counts from then.
    await end()
    const endedAt = performance.now()
    const healthy = await tierServes().catch(() => false)
    const recoveryMs = healthy ? undefined : performance.now() - endedAt + (await timeUntil(tierServes))
    const row: Row = {
      scenario: `${t.name}: ${name}`,
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
    expect(row, JSON.stringify(row)).toSatisfy(meetsGoals)
  }

  for (const [name, fault] of FAULTS) {
    it(name, () =>
      scenario(
        name,
        () => {
          proxy.set(fault)
          // A refused or swallowed server is met on the next connection: drop the open ones.
          if (fault.kind === 'drop' || fault.kind === 'blackhole') proxy.resetAll()
        },
        () => proxy.set({ kind: 'none' }),
      ),
    )
  }
  it('SIGSTOP (frozen)', () =>
    scenario(
      'SIGSTOP',
      () => server.pause(),
      () => server.resume(),
    ))
  it('SIGKILL, then restarted', () =>
    scenario(
      'SIGKILL',
      () => server.kill(),
      () => server.restart(),
    ))
}
