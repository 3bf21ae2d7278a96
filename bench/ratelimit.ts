/**
 * Question: how many rate-limit checks per second does cachestack's limiter
 * make, in Redis and in memory, next to rate-limiter-flexible (the limiter
 * most Node apps use) measured in the same run?
 *
 * Every contender consumes one point per call from keys cycling over 1,000
 * users, with a limit high enough that every call is admitted (a refusal in
 * rate-limiter-flexible is a rejected promise, which would measure exceptions).
 * Two shapes: one awaited call at a time (latency-bound, as one request
 * handler sees it) and 64 calls in flight (throughput, as a busy server sees
 * it). Both Redis limiters use one ioredis connection each to the same local
 * Redis and a fixed window; cachestack's sliding window and token bucket are
 * shown beside them for their cost. Many short rounds (21), interleaved, so
 * the medians hold on a shared machine whose load moves during the run. cachestack runs with its defaults
 * (1 s timeout, fail-open), which rate-limiter-flexible does not have; the
 * row "timeout 0" drops the timeout (an extra promise per call), like for like.
 */
import { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible'
import { rateLimit } from '../src/ratelimit.js'
import { compare, machineLine, printTable, printTarget, type Result } from './lib/harness.js'
import { requireRedis } from './lib/servers.js'

const USERS = 1000
const keys = Array.from({ length: USERS }, (_, i) => `user:${i}`)
const LIMIT = 100_000_000
const prefix = `cs-bench-rl-${process.pid}:`
const IN_FLIGHT = 64

const redisA = new Redis(requireRedis())
const redisB = new Redis(requireRedis())
await Promise.all([redisA.ping(), redisB.ping()])

const cs = {
  fixed: rateLimit({ store: redisA, limit: LIMIT, window: '1h', prefix: `${prefix}f:` }),
  fixedNoTimeout: rateLimit({ store: redisA, limit: LIMIT, window: '1h', prefix: `${prefix}f0:`, timeout: 0 }),
  sliding: rateLimit({ store: redisA, limit: LIMIT, window: '1h', algorithm: 'sliding', prefix: `${prefix}s:` }),
  token: rateLimit({ store: redisA, limit: LIMIT, window: '1h', algorithm: 'token-bucket', prefix: `${prefix}t:` }),
  memory: rateLimit({ limit: LIMIT, window: '1h' }),
  memorySliding: rateLimit({ limit: LIMIT, window: '1h', algorithm: 'sliding' }),
}
const rlfRedis = new RateLimiterRedis({ storeClient: redisB, points: LIMIT, duration: 3600, keyPrefix: `${prefix}rlf` })
const rlfMemory = new RateLimiterMemory({ points: LIMIT, duration: 3600 })

type Op = (i: number) => Promise<unknown>

/** One call per op, or IN_FLIGHT calls per op (reported per call). */
async function run(
  title: string,
  contenders: [string, Op][],
  batch: number,
  ops: number,
  baseline: string,
  rounds = 21,
) {
  const shaped: [string, Op][] = contenders.map(([name, op]) => [
    name,
    batch === 1
      ? op
      : (i: number) => {
          const all: Promise<unknown>[] = []
          for (let j = 0; j < batch; j++) all.push(op(i * batch + j))
          return Promise.all(all)
        },
  ])
  const results: Result[] = await compare(shaped, { ops, rounds, warmup: Math.floor(ops / 4) })
  for (const r of results) {
    r.opsPerSec *= batch
    r.rounds = r.rounds.map((x) => x * batch)
  }
  return printTable(title, results, baseline)
}

console.log(`${machineLine()}\n`)

const redisContenders: [string, Op][] = [
  ['rate-limiter-flexible (Redis)', (i) => rlfRedis.consume(keys[i % USERS]!)],
  ['cachestack fixed (Redis)', (i) => cs.fixed.consume(keys[i % USERS]!)],
  ['cachestack fixed, timeout 0 (Redis)', (i) => cs.fixedNoTimeout.consume(keys[i % USERS]!)],
  ['cachestack sliding (Redis)', (i) => cs.sliding.consume(keys[i % USERS]!)],
  ['cachestack token bucket (Redis)', (i) => cs.token.consume(keys[i % USERS]!)],
]
const seq = await run('Redis, one awaited check at a time', redisContenders, 1, 1000, 'rate-limiter-flexible (Redis)')
const par = await run(
  `Redis, ${IN_FLIGHT} checks in flight`,
  redisContenders,
  IN_FLIGHT,
  100,
  'rate-limiter-flexible (Redis)',
)

const memoryContenders: [string, Op][] = [
  ['rate-limiter-flexible (memory)', (i) => rlfMemory.consume(keys[i % USERS]!)],
  ['cachestack fixed (memory)', (i) => cs.memory.consume(keys[i % USERS]!)],
  ['cachestack sliding (memory)', (i) => cs.memorySliding.consume(keys[i % USERS]!)],
]
const mem = await run(
  'Memory, one awaited check at a time',
  memoryContenders,
  1,
  100_000,
  'rate-limiter-flexible (memory)',
)

console.log('')
printTarget('Redis fixed window, one at a time, vs rate-limiter-flexible', seq['cachestack fixed (Redis)']!, 1)
printTarget(`Redis fixed window, ${IN_FLIGHT} in flight, vs rate-limiter-flexible`, par['cachestack fixed (Redis)']!, 1)
printTarget(
  `Redis fixed window, ${IN_FLIGHT} in flight, timeout 0, vs rate-limiter-flexible`,
  par['cachestack fixed, timeout 0 (Redis)']!,
  1,
)
console.log(`- memory fixed window vs rate-limiter-flexible: ${mem['cachestack fixed (memory)']!.toFixed(2)}×`)

const leftovers = await redisA.keys(`${prefix}*`)
for (let i = 0; i < leftovers.length; i += 500) await redisA.del(...leftovers.slice(i, i + 500))
redisA.disconnect()
redisB.disconnect()
