/**
 * End to end, per distributed tier: two real Node processes, each with a
 * memory L1 over the shared tier (Hazelcast with its bus; Ignite with an
 * SQLite bus, as its thin client has no topic). What one sets, deletes or
 * invalidates, the other sees; rich types cross intact; grace serves stale
 * data when the source fails; `lock: true` runs one loader across both.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHazelcast, startIgnite, type TestHazelcast, type TestIgnite } from '../helpers/distributed.js'
import { missingServers } from '../helpers/servers.js'
import { CacheProcess } from '../tiers/processes.js'

const fixture = fileURLToPath(new URL('./fixtures/distributed-process.ts', import.meta.url))

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The end-to-end cases, for two processes made by `spawn`. */
function endToEnd(spawn: () => Promise<[CacheProcess, CacheProcess]>): void {
  let a: CacheProcess
  let b: CacheProcess
  beforeAll(async () => {
    ;[a, b] = await spawn()
  }, 60_000)
  afterAll(async () => {
    await Promise.all([a, b].map((p) => p?.stop().catch(() => {})))
  })

  it('a set, a delete and a tag invalidation in one process are seen by the other, whose L1 held the old value', async () => {
    const k = `${randomUUID()}:user`
    await a.call('set', k, 'v1', ['users'])
    // A's own message about the write must not land after B copied the value into its L1.
    await a.call('flush')
    await b.call('flush')
    expect(await b.call('get', k)).toBe('v1')
    expect(await b.call('inL1', k)).toBe(true)
    await a.call('set', k, 'v2', ['users'])
    await until(async () => (await b.call('get', k)) === 'v2')
    await a.call('invalidateTags', ['users'])
    await until(async () => (await b.call('get', k)) === undefined)
    await b.call('set', k, 'v3')
    await until(async () => (await a.call('get', k)) === 'v3')
    await b.call('delete', k)
    await until(async () => (await a.call('get', k)) === undefined)
  })

  it('Date, Map, Set, BigInt and bytes written by one process read back whole in the other', async () => {
    const k = `${randomUUID()}:rich`
    await a.call('setRich', k)
    const [got, expected] = await b.call<[string, string]>('getRich', k)
    expect(got).toBe(expected)
    expect(got).toContain('12345678901234567890123456789n')
  })

  it('within grace, the other process serves the stale value when the source fails', async () => {
    const k = `${randomUUID()}:grace`
    await a.call('setShort', k, 'stale but served')
    await new Promise((r) => setTimeout(r, 400))
    expect(await b.call('getOrFail', k)).toBe('stale but served')
  })

  it('lock: true: 40 concurrent getOrSet in each process run the loader once', async () => {
    const k = `${randomUUID()}:stampede`
    const runs = join(tmpdir(), `cachestack-runs-${randomUUID()}`)
    writeFileSync(runs, '')
    const [ra, rb] = await Promise.all([
      a.call<string[]>('stampede', k, 40, runs, 300),
      b.call<string[]>('stampede', k, 40, runs, 300),
    ])
    expect([...ra, ...rb].every((v) => v === `value of ${k}`)).toBe(true)
    expect(readFileSync(runs, 'utf8')).toBe('x')
  })
}

const noHazelcast = missingServers('hazelcast')
describe.skipIf(noHazelcast !== undefined)('two processes over Hazelcast (store and bus)', () => {
  let cluster: TestHazelcast
  afterAll(() => cluster?.stop())
  endToEnd(async () => {
    cluster = await startHazelcast()
    const config = {
      kind: 'hazelcast',
      members: cluster.members,
      clusterName: cluster.clusterName,
      topic: `cs-e2e-${randomUUID()}`,
      prefix: `e2e-${randomUUID()}:`,
    }
    const procs: [CacheProcess, CacheProcess] = [new CacheProcess('A', fixture), new CacheProcess('B', fixture)]
    await Promise.all(procs.map((p) => p.call('init', config)))
    return procs
  })
})

const noIgnite = missingServers('ignite')
describe.skipIf(noIgnite !== undefined)('two processes over Ignite (store) with an SQLite bus', () => {
  let node: TestIgnite
  afterAll(() => node?.stop())
  endToEnd(async () => {
    node = await startIgnite()
    const config = {
      kind: 'ignite',
      endpoint: node.endpoint,
      busFile: join(tmpdir(), `cachestack-e2e-bus-${randomUUID()}.db`),
      prefix: `e2e-${randomUUID()}:`,
    }
    const procs: [CacheProcess, CacheProcess] = [new CacheProcess('A', fixture), new CacheProcess('B', fixture)]
    await Promise.all(procs.map((p) => p.call('init', config)))
    return procs
  })
})
