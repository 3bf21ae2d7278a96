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
 * Run: `npx tsx bench/redis.ts` (REDIS_URL, default redis://127.0.0.1:6379).
 * Memcached parts start their own memcached when the binary is installed.
 */
import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import memjs from 'memjs'
import { createClient, RESP_TYPES } from 'redis'
import { createCache } from '../src/index.js'
import { memcachedStore } from '../src/memcached.js'
import { redisStore } from '../src/redis.js'
import { startMemcached } from '../test/helpers/servers.js'
import { machineLine, median, printTable, printTarget, type Result, rate } from './lib/harness.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const ROUNDS = Number(process.env.ROUNDS ?? 7)
const N = 1000
const prefix = `bench-${process.pid}:`
const keys = Array.from({ length: N }, (_, i) => `product:${i}`)
const value = { id: 1, name: 'A product with a name', price: 9.99, tags: ['a', 'b'], updated: new Date(0) }

type Op = (i: number) => Promise<unknown>

/** ops/s of `fn` run by `concurrency` workers, `ops` calls in all. */
async function throughput(fn: Op, concurrency: number, ops: number): Promise<number> {
  let next = 0
  const t0 = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) await fn(next++)
    }),
  )
  return ops / (Number(process.hrtime.bigint() - t0) / 1e9)
}

/** Contenders interleaved round by round; median of the rounds. */
async function compareAt(contenders: [string, Op][], concurrency: number, ops: number): Promise<Result[]> {
  const all = contenders.map(([name]) => ({ name, opsPerSec: 0, rounds: [] as number[] }))
  for (const [, fn] of contenders) await throughput(fn, concurrency, Math.floor(ops / 4)) // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (let c = 0; c < contenders.length; c++)
      all[c]!.rounds.push(await throughput(contenders[c]![1], concurrency, ops))
  }
  for (const res of all) res.opsPerSec = median(res.rounds)
  return all
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
const nodeBuffers = nodeRedis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
const rawNode: Op = (i) => nodeBuffers.get(bufKeys[i % N]!)
const csGet: Op = (i) => cache.get(keys[i % N]!)
const csStore: Op = (i) => tier.getWithVersions(keys[i % N]!)

const ceilings = [1, 50, 100].map((c) => [c, redisBenchmark(c)] as const)
const ceilingP16 = redisBenchmark(50, 16)

for (const [concurrency, ops] of [
  [1, 10_000],
  [100, 60_000],
] as const) {
  const results = await compareAt(
    [
      ['ioredis GET (raw)', rawIo],
      ['node-redis GET (raw)', rawNode],
      ['cachestack cache.get (redis tier)', csGet],
      ['cachestack store.getWithVersions', csStore],
    ],
    concurrency,
    ops,
  )
  const fastest = results.filter((r) => r.name.includes('(raw)')).reduce((a, b) => (a.opsPerSec >= b.opsPerSec ? a : b))
  const ceiling = ceilings.find(([c]) => c === concurrency)?.[1]
  if (ceiling !== undefined) {
    results.push({ name: `redis-benchmark -c ${concurrency} (ceiling)`, opsPerSec: ceiling, rounds: [ceiling] })
  }
  const ratios = printTable(`Redis GET at concurrency ${concurrency}`, results, fastest.name)
  if (concurrency === 100) {
    printTarget(
      `cachestack get at concurrency 100 vs ${fastest.name}`,
      ratios['cachestack cache.get (redis tier)']!,
      0.85,
    )
  }
}
console.log(
  `\nredis-benchmark GET: ${ceilings.map(([c, v]) => `-c ${c}: ${v === undefined ? 'n/a' : rate(v)}`).join(', ')}; -c 50 -P 16: ${ceilingP16 === undefined ? 'n/a' : rate(ceilingP16)}`,
)

// --- getMany of 100 keys --------------------------------------------------------
async function commandCalls(): Promise<Record<string, number>> {
  const info = await io.info('commandstats')
  const out: Record<string, number> = {}
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1]!] = Number(m[2])
  return out
}
const batch = keys.slice(0, 100)
const before = await commandCalls()
const REPS = 100
for (let i = 0; i < REPS; i++) await cache.getMany(batch)
const after = await commandCalls()
const perCall = Object.entries(after)
  .map(([cmd, n]) => [cmd, (n - (before[cmd] ?? 0)) / REPS] as const)
  .filter(([cmd, n]) => n > 0 && cmd !== 'info')
  .map(([cmd, n]) => `${cmd}=${n}`)
  .join(', ')
console.log(`\ncache.getMany(100 keys): server commands per call: ${perCall} (one MGET = one round trip)`)
const manyResults = await compareAt(
  [
    ['ioredis MGET 100 (raw)', () => io.mgetBuffer(...fullKeys.slice(0, 100))],
    ['cachestack cache.getMany(100)', () => cache.getMany(batch)],
  ],
  10,
  2_000,
)
printTable('getMany of 100 keys (calls/s, concurrency 10)', manyResults, 'ioredis MGET 100 (raw)')

await cache.clear()
await cache.close()
io.disconnect()
await nodeRedis.quit()

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
    [1, 10_000],
    [100, 40_000],
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
