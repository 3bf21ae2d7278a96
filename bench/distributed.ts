/**
 * Question: how close does an L2 hit through cachestack's Hazelcast and Ignite
 * tiers come to the raw client reading the same entry, at concurrency 1 and
 * 100, with Redis beside them for scale? Target: the store within 0.85× of
 * its raw client.
 *
 * Each backend is started here (a one-member Hazelcast, one Ignite node, a
 * redis-server of its own, all on loopback; the jars come from
 * `scripts/test-servers.sh install`). The cache has the one remote tier (no
 * memory tier): `cache.get` goes to the server each time, and includes the
 * decode, the expiry check, the envelope and the guard. The raw client reads
 * the very key and bytes the store wrote. Rounds are interleaved (raw, cache,
 * raw, cache, …); medians and the median of per-round ratios are reported.
 *
 * Run: `npx tsx bench/distributed.ts` (ROUNDS, default 9).
 */
import { Client } from 'hazelcast-client'
import { Redis } from 'ioredis'
import { hazelcastStore } from '../src/hazelcast.js'
import { igniteStore } from '../src/ignite.js'
import { createCache } from '../src/index.js'
import { redisStore } from '../src/redis.js'
import type { IgniteCache } from '../src/stores/ignite/ignite-client.js'
import { startHazelcast, startIgnite } from '../test/helpers/distributed.js'
import { missingServers, startRedis } from '../test/helpers/servers.js'
import { compareConcurrent, withRoundRatio } from './lib/concurrent.js'
import { machineLine, median, printTable, printTarget, type Result } from './lib/harness.js'

const ROUNDS = Number(process.env.ROUNDS ?? 9)
const N = 1000
const keys = Array.from({ length: N }, (_, i) => `product:${i}`)
const value = { id: 1, name: 'A product with a name', price: 9.99, tags: ['a', 'b'], updated: new Date(0) }

type Op = (i: number) => Promise<unknown>

/** Contenders interleaved round by round at `concurrency`; medians, with the per-round ratio to the first. */
async function compareAt(contenders: [string, Op][], concurrency: number, ops: number): Promise<Result[]> {
  const warmup = Math.floor(ops / 2)
  return withRoundRatio(await compareConcurrent(contenders, { ops, concurrency, rounds: ROUNDS, warmup }))
}

/** Raw client then cache, at concurrency 1 and 100; prints the tables and the target line. */
async function rows(backend: string, raw: Op, cached: Op): Promise<void> {
  for (const [concurrency, ops] of [
    [1, 2_000],
    [100, 10_000],
  ] as const) {
    const results = await compareAt(
      [
        [`${backend} client get (raw)`, raw],
        [`cachestack cache.get (${backend} tier)`, cached],
      ],
      concurrency,
      ops,
    )
    printTable(`${backend}: L2 hit at concurrency ${concurrency}`, results, `${backend} client get (raw)`)
    const ratio = median(results[1]!.rounds.map((x, r) => x / results[0]!.rounds[r]!))
    printTarget(`${backend} store/raw at concurrency ${concurrency} (median of per-round ratios)`, ratio, 0.85)
  }
}

console.log(`${machineLine()}\n`)
const prefix = `bench-${process.pid}:`

if (missingServers('redis') === undefined) {
  const server = await startRedis()
  const io = new Redis(server.url)
  const cache = createCache({ tiers: [redisStore({ url: server.url, prefix })], ttl: '1h' })
  for (const k of keys) await cache.set(k, value)
  await rows(
    'Redis (ioredis)',
    (i) => io.getBuffer(prefix + keys[i % N]!),
    (i) => cache.get(keys[i % N]!),
  )
  await cache.close()
  io.disconnect()
  await server.stop()
}

if (missingServers('hazelcast') === undefined) {
  const cluster = await startHazelcast()
  const hz = { members: cluster.members, clusterName: cluster.clusterName }
  const raw = await Client.newHazelcastClient({
    clusterName: hz.clusterName,
    network: { clusterMembers: hz.members },
    properties: { 'hazelcast.logging.level': 'OFF' },
  })
  const map = await raw.getMap<string, Buffer>('cachestack')
  const cache = createCache({ tiers: [hazelcastStore({ ...hz, prefix })], ttl: '1h' })
  for (const k of keys) await cache.set(k, value)
  console.log(
    `\nHazelcast ${cluster.members.join(', ')}: ${N} entries of ${(await map.get(prefix + keys[0]!)).byteLength} bytes`,
  )
  await rows(
    'Hazelcast (hazelcast-client)',
    (i) => map.get(prefix + keys[i % N]!),
    (i) => cache.get(keys[i % N]!),
  )
  await cache.close()
  await raw.shutdown()
  await cluster.stop()
}

if (missingServers('ignite') === undefined) {
  const node = await startIgnite()
  const tier = igniteStore({ endpoints: node.endpoint, prefix, warn: false })
  const cache = createCache({ tiers: [tier], ttl: '1h' })
  for (const k of keys) await cache.set(k, value)
  // The raw side: a thin client of its own on the same cache, keys and strings.
  const rawStore = igniteStore({ endpoints: node.endpoint, prefix, warn: false }).store
  await rawStore.get(keys[0]!)
  const lib = rawStore.connection.lib
  const entries = (await rawStore.connection.connect())
    .getOrCreateCache('cachestack')
    .then((c) => c.setKeyType(lib.ObjectType.PRIMITIVE_TYPE.STRING).setValueType(lib.ObjectType.PRIMITIVE_TYPE.STRING))
  const rawCache = (await entries) as IgniteCache<string, string>
  console.log(
    `\nIgnite ${node.endpoint}: ${N} entries of ${(await rawCache.get(prefix + keys[0]!))!.length} characters`,
  )
  await rows(
    'Ignite (apache-ignite-client)',
    (i) => rawCache.get(prefix + keys[i % N]!),
    (i) => cache.get(keys[i % N]!),
  )
  await cache.close()
  await rawStore.close()
  await node.stop()
}
process.exit(0)
