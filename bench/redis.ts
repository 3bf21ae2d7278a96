/**
 * Questions:
 * 1. Which Redis client is faster for a plain GET, ioredis or node-redis (`redis`),
 *    at concurrency 1 and 100? (cachestack/redis is built on the winner.)
 * 2. How close does cachestack's Redis tier come to that raw client, through
 *    `cache.get` (decode, tag check, timeout/breaker guard included)?
 *    Target: ≥ 0.85× the fastest raw client at concurrency 100.
 * 3. Does `getMany` of 100 keys take one round trip (one command on the server)?
 * 4. cachestack's Memcached tier next to raw memjs.
 *
 * `redis-benchmark` against the same Redis is printed as the ceiling (a C client
 * with no JavaScript in the way). Every contender reads the same keys holding
 * the same bytes; rounds are interleaved (A B C, A B C, …) and medians reported.
 *
 * Run: `npx tsx bench/redis.ts` (REDIS_URL, else the project's own Redis: bench/lib/servers.ts).
 * Memcached parts start their own memcached when the binary is installed.
 */
import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import memjs from 'memjs'
import { createClient, RESP_TYPES } from 'redis'
import { createCache } from '../src/index.js'
import { memcachedStore } from '../src/memcached.js'
import { redisStore } from '../src/redis.js'
import { startMemcached, startRedis } from '../test/helpers/servers.js'
import { compareConcurrent, withRoundRatio } from './lib/concurrent.js'
import { machineLine, median, printTable, printTarget, type Result, rate } from './lib/harness.js'
import { requireRedis } from './lib/servers.js'

const REDIS_URL = requireRedis()
const ROUNDS = Number(process.env.ROUNDS ?? 15)
const N = 1000
const prefix = `bench-${process.pid}:`
const keys = Array.from({ length: N }, (_, i) => `product:${i}`)
const value = { id: 1, name: 'A product with a name', price: 9.99, tags: ['a', 'b'], updated: new Date(0) }

type Op = (i: number) => Promise<unknown>

/** Contenders interleaved round by round at `concurrency`; medians, with the per-round ratio to the first. */
async function compareAt(contenders: [string, Op][], concurrency: number, ops: number): Promise<Result[]> {
  const warmup = Math.floor(ops / 4)
  return withRoundRatio(await compareConcurrent(contenders, { ops, concurrency, rounds: ROUNDS, warmup }))
}

/** The median over rounds of `a`'s ops/s divided by `b`'s in the same round. */
function roundRatio(results: Result[], a: string, b: string): number {
  const ra = results.find((r) => r.name === a)!.rounds
  const rb = results.find((r) => r.name === b)!.rounds
  return median(ra.map((x, i) => x / rb[i]!))
}

/** redis-benchmark GET at `-c clients` (and pipelined), as a ceiling. */
function redisBenchmark(clients: number, pipeline = 1): number | undefined {
  const url = new URL(REDIS_URL)
  const res = spawnSync(
    'redis-benchmark',
    [
      '-h',
      url.hostname,
      '-p',
      url.port || '6379',
      '-t',
      'get',
      '-n',
      '100000',
      '-c',
      String(clients),
      '-P',
      String(pipeline),
      '--csv',
    ],
    { encoding: 'utf8' },
  )
  if (res.status !== 0) return undefined
  const line = res.stdout.split('\n').find((l) => l.startsWith('"GET"'))
  return line ? Number(line.split(',')[1]!.replace(/"/g, '')) : undefined
}

console.log(`${machineLine()}\n`)

// --- Redis --------------------------------------------------------------------
const io = new Redis(REDIS_URL)
const nodeRedis = createClient({ url: REDIS_URL })
await nodeRedis.connect()
const tier = redisStore({ url: REDIS_URL, prefix })
const cache = createCache({ tiers: [tier], ttl: '1h' })
for (const k of keys) await cache.set(k, value)
const fullKeys = keys.map((k) => prefix + k)
const bufKeys = fullKeys.map((k) => Buffer.from(k))
const size = (await io.getBuffer(fullKeys[0]!))!.byteLength
console.log(`Redis at ${REDIS_URL}; ${N} keys of ${size} bytes (the cache's envelope of a small product object).`)

const rawIo: Op = (i) => io.getBuffer(fullKeys[i % N]!)
const ioAuto = new Redis(REDIS_URL, { enableAutoPipelining: true })
const rawIoAuto: Op = (i) => ioAuto.getBuffer(fullKeys[i % N]!)
// What a user of the raw client does at the least: parse the value (the same JSON bytes, past the store's 1-byte header).
const rawIoJson: Op = (i) => io.getBuffer(fullKeys[i % N]!).then((b) => JSON.parse(b!.toString('utf8', 1)))
const autoCache = createCache({
  tiers: [redisStore({ url: REDIS_URL, prefix, redisOptions: { enableAutoPipelining: true } })],
  ttl: '1h',
})
const csAuto: Op = (i) => autoCache.get(keys[i % N]!)
const nodeBuffers = nodeRedis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
const rawNode: Op = (i) => nodeBuffers.get(bufKeys[i % N]!)
const csGet: Op = (i) => cache.get(keys[i % N]!)
const csStore: Op = (i) => tier.getWithVersions(keys[i % N]!)
// Tagged entries read by a second store that always uses the one-round-trip script.
const taggedCache = createCache({ tiers: [redisStore({ url: REDIS_URL, prefix, tagReads: 'script' })], ttl: '1h' })
for (const k of keys) await taggedCache.set(`tagged:${k}`, value, { tags: ['products'] })
const csTagged: Op = (i) => taggedCache.get(`tagged:${keys[i % N]!}`)

const ceilings = [1, 50, 100].map((c) => [c, redisBenchmark(c)] as const)
const ceilingP16 = redisBenchmark(50, 16)

for (const [concurrency, ops] of [
  [1, 3_000],
  [100, 20_000],
] as const) {
  const results = await compareAt(
    [
      ['ioredis GET (raw)', rawIo],
      ['node-redis GET (raw)', rawNode],
      ['ioredis GET, auto-pipelining (raw)', rawIoAuto],
      ['ioredis GET + JSON.parse', rawIoJson],
      ['cachestack cache.get (redis tier)', csGet],
      ['cachestack cache.get (auto-pipelining client)', csAuto],
      ['cachestack store.getWithVersions', csStore],
      ['cachestack cache.get, tagged entry (Lua script)', csTagged],
    ],
    concurrency,
    ops,
  )
  const fastest = results.filter((r) => r.name.includes('(raw)')).reduce((a, b) => (a.opsPerSec >= b.opsPerSec ? a : b))
  const ceiling = ceilings.find(([c]) => c === concurrency)?.[1]
  if (ceiling !== undefined) {
    results.push({ name: `redis-benchmark -c ${concurrency} (ceiling)`, opsPerSec: ceiling, rounds: [ceiling] })
  }
  printTable(`Redis GET at concurrency ${concurrency}`, results, fastest.name)
  const ratio = roundRatio(results, 'cachestack cache.get (redis tier)', fastest.name)
  const label = `cachestack get at concurrency ${concurrency} vs ${fastest.name} (median of per-round ratios)`
  if (concurrency === 100) printTarget(label, ratio, 0.85)
  else console.log(`- ${label}: ${ratio.toFixed(2)}×`)
  const auto = roundRatio(results, 'cachestack cache.get (auto-pipelining client)', fastest.name)
  console.log(`- the same over an auto-pipelining client: ${auto.toFixed(2)}×`)
}
console.log(
  `\nredis-benchmark GET: ${ceilings.map(([c, v]) => `-c ${c}: ${v === undefined ? 'n/a' : rate(v)}`).join(', ')}; -c 50 -P 16: ${ceilingP16 === undefined ? 'n/a' : rate(ceilingP16)}`,
)

// --- getMany of 100 keys --------------------------------------------------------
// Commands are counted on a redis-server of our own, so other clients of the
// shared Redis do not show up in its commandstats.
const batch = keys.slice(0, 100)
{
  const own = await startRedis()
  const ownIo = new Redis(own.url)
  const ownCache = createCache({ tiers: [redisStore({ url: own.url, prefix })], ttl: '1h' })
  await ownCache.setMany(batch.map((k) => [k, value] as [string, unknown]))
  await ownCache.setMany(
    batch.map((k) => [`tagged:${k}`, value] as [string, unknown]),
    { tags: ['products'] },
  )
  const calls = async (): Promise<Record<string, number>> => {
    const info = await ownIo.info('commandstats')
    const out: Record<string, number> = {}
    for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1]!] = Number(m[2])
    return out
  }
  const REPS = 100
  for (const [label, list] of [
    ['100 untagged keys', batch],
    ['100 keys tagged "products"', batch.map((k) => `tagged:${k}`)],
  ] as const) {
    const before = await calls()
    for (let i = 0; i < REPS; i++) {
      const got = await ownCache.getMany(list)
      if (got.some((v) => v === undefined)) throw new Error('getMany missed a key')
    }
    const after = await calls()
    const per = Object.entries(after)
      .map(([cmd, n]) => [cmd, (n - (before[cmd] ?? 0) - (cmd === 'info' ? 1 : 0)) / REPS] as const)
      .filter(([, n]) => n > 0)
      .map(([cmd, n]) => `${n} ${cmd.toUpperCase()}`)
      .join(' + ')
    console.log(`\ncache.getMany(${label}): ${per} per call`)
  }
  await ownCache.close()
  ownIo.disconnect()
  await own.stop()
}
const batchFull = fullKeys.slice(0, 100)
const manyResults = await compareAt(
  [
    ['ioredis MGET 100 (raw)', () => io.mgetBuffer(...batchFull)],
    ['cachestack cache.getMany(100)', () => cache.getMany(batch)],
  ],
  10,
  1_000,
)
printTable('getMany of 100 keys (calls/s, concurrency 10)', manyResults, 'ioredis MGET 100 (raw)')

await cache.clear()
await cache.close()
await taggedCache.close()
await autoCache.close()
ioAuto.disconnect()
io.disconnect()
await nodeRedis.quit()

// --- Client CPU per get ----------------------------------------------------------
// Throughput on a shared machine swings with its load; the CPU time this process
// spends per get (user + system, at concurrency 100) does not, and it shows
// where the time goes: client, store, guard, cache core.
{
  const own = await startRedis()
  const ownIo = new Redis(own.url)
  const ownTier = redisStore({ url: own.url, prefix })
  const guarded = createCache({ tiers: [ownTier], ttl: '1h' })
  const unguarded = createCache({ tiers: [ownTier.store], ttl: '1h' })
  for (const k of keys) await guarded.set(k, value)
  const cpuPerOp = async (fn: Op, ops = 20_000): Promise<number> => {
    let next = 0
    const c0 = process.cpuUsage()
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < ops) await fn(next++)
      }),
    )
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / ops
  }
  const steps: [string, Op][] = [
    ['ioredis GET (raw)', (i) => ownIo.getBuffer(fullKeys[i % N]!)],
    [
      'ioredis GET + JSON.parse',
      (i) => ownIo.getBuffer(fullKeys[i % N]!).then((b) => JSON.parse(b!.toString('utf8', 1))),
    ],
    ['RedisStore.getWithVersions (no guard)', (i) => ownTier.store.getWithVersions(keys[i % N]!)],
    ['redisStore().getWithVersions (guarded)', (i) => ownTier.getWithVersions(keys[i % N]!)],
    ['cache.get over the unguarded store', (i) => unguarded.get(keys[i % N]!)],
    ['cache.get (redisStore tier)', (i) => guarded.get(keys[i % N]!)],
  ]
  const cpu: Record<string, number[]> = {}
  for (const [, fn] of steps) await cpuPerOp(fn, 5_000)
  for (let r = 0; r < Math.min(ROUNDS, 7); r++)
    for (const [name, fn] of steps) (cpu[name] ??= []).push(await cpuPerOp(fn))
  const base = median(cpu['ioredis GET (raw)']!)
  console.log('\n### Client CPU per get at concurrency 100 (own redis-server; lower is better)\n')
  console.log('| step | CPU µs per get | vs raw GET |')
  console.log('|---|---|---|')
  for (const [name] of steps) {
    const m = median(cpu[name]!)
    console.log(`| ${name} | ${m.toFixed(1)} | ${(base / m).toFixed(2)}× throughput bound |`)
  }
  await guarded.close()
  await unguarded.close()
  ownIo.disconnect()
  await own.stop()
}

// --- Memcached -------------------------------------------------------------------
let mc: Awaited<ReturnType<typeof startMemcached>> | undefined
try {
  mc = await startMemcached()
} catch (error) {
  console.log(
    `\nMemcached: skipped (${error instanceof Error ? error.message.split('\n')[0] : error}); run scripts/test-servers.sh install`,
  )
}
if (mc !== undefined) {
  const raw = memjs.Client.create(mc.url, { logger: { log() {} } })
  const mcTier = memcachedStore({ servers: mc.url, prefix })
  const mcCache = createCache({ tiers: [mcTier], ttl: '1h' })
  for (const k of keys) await mcCache.set(k, value)
  for (const [concurrency, ops] of [
    [1, 3_000],
    [100, 20_000],
  ] as const) {
    const results = await compareAt(
      [
        ['memjs get (raw)', (i) => raw.get(fullKeys[i % N]!)],
        ['cachestack cache.get (memcached tier)', (i) => mcCache.get(keys[i % N]!)],
      ],
      concurrency,
      ops,
    )
    printTable(`Memcached get at concurrency ${concurrency}`, results, 'memjs get (raw)')
  }
  await mcCache.close()
  raw.close()
  await mc.stop()
}
process.exit(0)
