/**
 * Question: how many keys should one command of the Redis tier's per-tick write
 * batch hold (src/stores/redis/tick-batch.ts, `BATCH_MAX_CALLS`)?
 *
 * A tick's `set`s go out as one Lua script call (`EVALSHA`, a `SET … PX` per
 * key). More keys per call save round trips and parsing, but Redis runs a
 * script to its end before anything else: its time per call is how long every
 * other client waits. For n keys per call, this prints the sets per second
 * (40,000 sets sent at once, all calls in flight) and Redis' own time per call
 * (`INFO commandstats`, `usec_per_call`), median of interleaved rounds; then
 * the store itself (`redisStore().set` × 40,000 in one tick, capped) next to
 * the raw script at its cap.
 *
 * Run: `npx tsx bench/redis-batch.ts` (starts its own redis-server).
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { redisStore } from '../src/redis.js'
import { BATCH_MAX_CALLS, SET_MANY } from '../src/stores/redis/tick-batch.js'
import { startRedis } from '../test/helpers/servers.js'
import { machineLine, median } from './lib/harness.js'

const SHA = createHash('sha1').update(SET_MANY).digest('hex')
const TOTAL = 40_000
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const SIZES = [10, 100, 250, 500, 1000, 5000, 40_000]
const VALUE = Buffer.alloc(164, 1) // the envelope of a small object, as in bench/redis.ts

interface ScriptClient {
  evalsha(sha: string, keys: number, ...args: (string | Buffer | number)[]): Promise<unknown>
}

/** Sends TOTAL sets as calls of `n` keys, all in flight at once; sets/s and Redis µs per call. */
async function rawRound(client: Redis, n: number): Promise<{ rate: number; usec: number }> {
  await client.config('RESETSTAT')
  const t0 = performance.now()
  const calls: Promise<unknown>[] = []
  for (let b = 0; b < TOTAL / n; b++) {
    const args: (string | Buffer | number)[] = []
    for (let i = 0; i < n; i++) args.push(`rb:${b}:${i}`)
    for (let i = 0; i < n; i++) args.push(VALUE, 60_000)
    calls.push((client as unknown as ScriptClient).evalsha(SHA, n, ...args))
  }
  await Promise.all(calls)
  const rate = TOTAL / ((performance.now() - t0) / 1000)
  const usec = Number(
    /cmdstat_evalsha:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(await client.info('commandstats'))?.[1],
  )
  await client.flushall()
  return { rate, usec }
}

const server = await startRedis()
const store = redisStore({ url: server.url, prefix: 'rb:', timeout: false })
const client = store.client as Redis
await client.script('LOAD', SET_MANY)
console.log(
  `${machineLine()}\n\nRedis tick batch: ${TOTAL} sets of ${VALUE.length} bytes per round, ${ROUNDS} rounds.\n`,
)

const raw = new Map<number, { rate: number[]; usec: number[] }>(SIZES.map((n) => [n, { rate: [], usec: [] }]))
const viaStore: { rate: number[]; usec: number[] } = { rate: [], usec: [] }
for (let r = 0; r < ROUNDS; r++) {
  for (const n of SIZES) {
    const { rate, usec } = await rawRound(client, n)
    raw.get(n)!.rate.push(rate)
    raw.get(n)!.usec.push(usec)
  }
  await client.config('RESETSTAT')
  const t0 = performance.now()
  await Promise.all(Array.from({ length: TOTAL }, (_, i) => store.set(`s:${i}`, VALUE, Date.now() + 60_000)))
  viaStore.rate.push(TOTAL / ((performance.now() - t0) / 1000))
  const info = await client.info('commandstats')
  viaStore.usec.push(Number(/cmdstat_evalsha:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(info)?.[1]))
  await client.flushall()
}

const k = (x: number) => `${(x / 1000).toFixed(0)} k/s`
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`
console.log('| keys per call | sets/s (median) | Redis time per call (median) |')
console.log('|---|---|---|')
for (const n of SIZES)
  console.log(`| ${n} (raw EVALSHA) | ${k(median(raw.get(n)!.rate))} | ${ms(median(raw.get(n)!.usec))} |`)
console.log(
  `| ${BATCH_MAX_CALLS} (redisStore().set, capped) | ${k(median(viaStore.rate))} | ${ms(median(viaStore.usec))} |`,
)
await store.close()
await server.stop()
