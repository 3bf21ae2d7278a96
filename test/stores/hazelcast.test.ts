/**
 * The Hazelcast tier and bus beyond the store contract, on a two-member
 * cluster of the test's own: a member killed mid-test (the cache keeps
 * answering, the surviving member serves the backups, and the member comes
 * back), the cross-process lock, and L1 invalidation over the bus.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bus, hazelcastBus, hazelcastStore } from '../../src/hazelcast.js'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { startHazelcast, type TestHazelcast } from '../helpers/distributed.js'
import { missingServers } from '../helpers/servers.js'

const missing = missingServers('hazelcast')
let cluster: TestHazelcast | undefined
const opened: Cache[] = []

beforeAll(async () => {
  if (missing === undefined) cluster = await startHazelcast({ members: 2 })
}, 120_000)
afterAll(async () => {
  for (const c of opened) await c.close().catch(() => {})
  await cluster?.stop()
})

function tier(extra: Parameters<typeof hazelcastStore>[0] extends infer O ? Partial<O> : never = {}) {
  return hazelcastStore({ members: cluster!.members, clusterName: cluster!.clusterName, prefix: 'hz-test:', ...extra })
}

function cache(): Cache {
  const c = createCache({ tiers: [memoryStore(), tier()] })
  opened.push(c)
  return c
}

/** A cache with a memory L1 over the store, and a bus on `topic`, as one process would have. */
function app(topic: string): { cache: Cache; bus: Bus } {
  const bus = hazelcastBus({ members: cluster!.members, clusterName: cluster!.clusterName, topic })
  const c = createCache({ tiers: [memoryStore(), tier()], bus })
  opened.push(c)
  return { cache: c, bus }
}

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.skipIf(missing !== undefined)('hazelcastStore on a two-member cluster', () => {
  it('a member killed mid-test: every call answers, the backups serve what was written, and the member rejoins', async () => {
    const p = randomUUID()
    const writer = createCache({ tiers: [tier({ timeout: 2000, breaker: { failures: 3, cooldown: 300 } })] })
    opened.push(writer)
    const entries = Array.from({ length: 200 }, (_, i) => [`${p}:${i}`, { i }] as const)
    await writer.setMany(entries)
    await cluster!.kill(1)
    try {
      // Nothing rejects while the cluster notices the loss and moves the partitions.
      let loads = 0
      for (let i = 0; i < 20; i++) {
        expect(await writer.getOrSet(`${p}:new${i}`, () => `loaded-${++loads}`)).toMatch(/^loaded-/)
        expect([undefined, { i }]).toContainEqual(await writer.get(`${p}:${i}`))
      }
      // One member holds every partition now (its own and the killed one's backups): nothing written is lost.
      await until(async () =>
        (await writer.getMany(entries.map(([k]) => k))).every(
          (v, i) => v !== undefined && (v as { i: number }).i === i,
        ),
      )
    } finally {
      await cluster!.restart(1)
    }
    await cluster!.waitForMembers(2)
    expect(await writer.get(`${p}:7`)).toEqual({ i: 7 })
    await writer.set(`${p}:after`, 'after')
    expect(await writer.get(`${p}:after`)).toBe('after')
    expect(writer.stats().tierHealth[writer.tiers[0]!.name]?.circuit ?? 'closed').toBe('closed')
  }, 120_000)

  it('lock: true runs the loader once across caches that share the cluster', async () => {
    const p = randomUUID()
    const caches = [cache(), cache(), cache()]
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

  it('a lock whose holder died is taken over once its lease ends', async () => {
    const store = tier().store
    const release = await store.lock('lease', 1500)
    expect(release).toBeTypeOf('function')
    expect(await store.lock('lease', 1500)).toBeUndefined()
    // The holder never releases (a crashed process): the lease ends by itself.
    await until(async () => (await store.lock('lease', 1500)) !== undefined, 10_000)
    await store.close()
  })

  it('hazelcastBus: a set, a delete and a tag invalidation in one process reach the other process L1', async () => {
    const topic = `cs-bus-${randomUUID()}`
    const { cache: a } = app(topic)
    const { cache: b, bus } = app(topic)
    const p = randomUUID()
    await a.set(`${p}:k`, 'one', { tags: [`${p}-tag`] })
    expect(await b.get(`${p}:k`)).toBe('one') // now in B's memory tier
    // A's own announcement of that set may reach B after B's read and drop the copy it just made:
    // read again until B's memory tier keeps it.
    await until(async () => (await b.get(`${p}:k`)) === 'one' && b.tiers[0]!.get(`${p}:k`) !== undefined)
    await a.set(`${p}:k`, 'two', { tags: [`${p}-tag`] })
    await bus.flush!()
    await until(() => b.tiers[0]!.get(`${p}:k`) === undefined)
    expect(await b.get(`${p}:k`)).toBe('two')
    await a.invalidateTags([`${p}-tag`])
    await until(async () => (await b.get(`${p}:k`)) === undefined)
    await b.set(`${p}:d`, 'gone soon')
    expect(await a.get(`${p}:d`)).toBe('gone soon')
    await b.delete(`${p}:d`)
    await until(() => a.tiers[0]!.get(`${p}:d`) === undefined)
    expect(await a.get(`${p}:d`)).toBeUndefined()
    expect(a.stats().bus?.received).toBeGreaterThan(0)
    expect(b.stats().bus?.received).toBeGreaterThan(0)
  })
})
