/**
 * Question: with a memory L1 over a Redis L2, how fast is `getOrSet` on an L1
 * hit, on an L2 hit (L1 miss) and on a full miss, at concurrency 100, next to
 * the two-level modes of BentoCache (with its Redis bus), cache-manager
 * (memory over Keyv Redis) and cacheable (Keyv Redis secondary)? How long does
 * an invalidation take to reach another process's L1? And does a stampede
 * spread over several processes run the loader once?
 *
 * Uses the Redis at REDIS_URL (else the project's own: bench/lib/servers.ts) with a unique prefix.
 */
import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import KeyvRedis from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { Cacheable, createKeyv, Keyv } from 'cacheable'
import { Redis } from 'ioredis'
import { createCache, memoryStore } from '../src/index.js'
import { type Bus, type BusHandlers, redisBus, redisStore } from '../src/redis.js'
import { machineLine, median, printTable, printTarget, type Result, rate } from './lib/harness.js'
import { requireRedis } from './lib/servers.js'

const URL_ = requireRedis()
const { hostname: host, port: portText } = new URL(URL_)
const port = Number(portText || 6379)
const run = randomUUID().slice(0, 8)
const L1 = 1_000
const HOT = 1_000
const COLD = 10_000
const value = { id: 1, name: 'product', price: 9.99, tags: ['a', 'b'] }
const loader = () => value
const CONCURRENCY = 100

type Lib = {
  name: string
  getOrSet: (key: string) => Promise<unknown>
  close: () => Promise<void>
}

function cachestackLib(): Lib {
  const cache = createCache({
    tiers: [memoryStore({ maxEntries: L1, policy: 'lru' }), redisStore({ url: URL_, prefix: `bench-${run}-cs:` })],
    bus: redisBus({ url: URL_, channel: `bench-${run}` }),
    ttl: '1h',
  })
  return { name: 'cachestack', getOrSet: (k) => cache.getOrSet(k, loader), close: () => cache.close() }
}

function bentoLib(): Lib {
  const bento = new BentoCache({
    default: 'two',
    stores: {
      two: bentostore()
        .useL1Layer(memoryDriver({ maxItems: L1 }))
        .useL2Layer(redisDriver({ connection: { host, port }, prefix: `bench-${run}-bento` }))
        .useBus(redisBusDriver({ connection: { host, port } })),
    },
  })
  return {
    name: 'BentoCache (L1+Redis+bus)',
    getOrSet: (k) => bento.getOrSet({ key: k, factory: loader, ttl: '1h' }),
    close: () => bento.disconnect(),
  }
}

function cacheManagerLib(): Lib {
  const redis = new Keyv({ store: new KeyvRedis(URL_), namespace: `bench-${run}-cm` })
  const manager = createCacheManager({ stores: [createKeyv({ lruSize: L1 }), redis] })
  return {
    name: 'cache-manager (memory+Keyv Redis)',
    getOrSet: (k) => manager.wrap(k, async () => loader(), 3_600_000),
    close: () => manager.disconnect().then(() => undefined),
  }
}

function cacheableLib(): Lib {
  const cacheable = new Cacheable({
    primary: createKeyv({ lruSize: L1 }),
    secondary: new KeyvRedis(URL_),
    namespace: `bench-${run}-ca`,
    ttl: '1h',
  })
  return {
    name: 'cacheable (Keyv Redis secondary)',
    getOrSet: (k) => cacheable.getOrSet(k, async () => loader(), { ttl: '1h' }),
    close: () => cacheable.disconnect(),
  }
}

/** `ops` calls spread over `CONCURRENCY` workers, each awaiting one call at a time. */
async function concurrent(fn: (i: number) => Promise<unknown>, ops: number): Promise<number> {
  let next = 0
  const t0 = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ops) await fn(next++)
    }),
  )
  return ops / (Number(process.hrtime.bigint() - t0) / 1e9)
}

async function scenario(
  title: string,
  libs: Lib[],
  makeKey: (lib: Lib, i: number, round: number) => string,
  ops: number,
  rounds = 5,
): Promise<Record<string, number>> {
  const results: Result[] = libs.map((l) => ({ name: l.name, opsPerSec: 0, rounds: [] }))
  for (let r = 0; r < rounds; r++) {
    for (let c = 0; c < libs.length; c++) {
      const lib = libs[c]!
      results[c]!.rounds.push(await concurrent((i) => lib.getOrSet(makeKey(lib, i, r)), ops))
    }
  }
  for (const res of results) res.opsPerSec = median(res.rounds)
  return printTable(`${title} (concurrency ${CONCURRENCY})`, results, 'cachestack')
}

console.log(`${machineLine()}\n`)
const libs = [cachestackLib(), bentoLib(), cacheManagerLib(), cacheableLib()]
// Warm: HOT keys in every L1 and L2; COLD keys in L2 only (L1 holds 1,000 and they are read cyclically).
for (const lib of libs) {
  for (let i = 0; i < COLD; i++) await lib.getOrSet(`cold:${i}`)
  for (let i = 0; i < HOT; i++) await lib.getOrSet(`hot:${i}`)
}

const peers = (ratios: Record<string, number>) =>
  Math.max(...Object.entries(ratios).flatMap(([n, v]) => (n === 'cachestack' ? [] : [v])))
const l1 = await scenario('getOrSet, L1 hit', libs, (_, i) => `hot:${i % HOT}`, 200_000)
// A stride co-prime with COLD walks every cold key before repeating, so the small L1 always misses.
const l2 = await scenario(
  'getOrSet, L2 hit (L1 miss)',
  libs,
  (_, i, r) => `cold:${(i * 7 + r * 997) % COLD}`,
  10_000,
  3,
)
await scenario('getOrSet, full miss (loader runs, both tiers written)', libs, (_, i, r) => `miss:${r}:${i}`, 5_000, 3)
console.log()
printTarget('L1 hit vs the fastest peer', 1 / peers(l1), 2)
printTarget('L2 hit vs the fastest peer', 1 / peers(l2), 1.5)

// Invalidation latency: a set in cache A until cache B's L1 has dropped the key (separate connections).
{
  const channel = `bench-${run}-lat`
  let heard: ((keys: readonly string[]) => void) | undefined
  const tap = (inner: Bus): Bus => ({
    join: (h: BusHandlers) =>
      inner.join({
        message: (m) => {
          h.message(m)
          if (m.keys !== undefined) heard?.(m.keys)
        },
        resync: h.resync,
      }),
    publish: (m) => inner.publish(m),
    flush: () => inner.flush!(),
    stats: () => inner.stats(),
    close: () => inner.close(),
  })
  const mk = (bus: Bus) =>
    createCache({ tiers: [memoryStore(), redisStore({ url: URL_, prefix: `bench-${run}-lat:` })], bus })
  const a = mk(redisBus({ url: URL_, channel }))
  const b = mk(tap(redisBus({ url: URL_, channel })))
  await b.set('warm', 1)
  await new Promise((r) => setTimeout(r, 200))
  const samples: number[] = []
  for (let i = 0; i < 2000; i++) {
    const key = `lat:${i % 50}`
    await b.set(key, i)
    await b.tiers[0]!.get(key)
    await new Promise((r) => setImmediate(r))
    const arrived = new Promise<number>((resolve) => {
      heard = (keys) => {
        if (keys.includes(key)) resolve(performance.now())
      }
    })
    const t0 = performance.now()
    await a.set(key, i + 1)
    samples.push((await arrived) - t0)
  }
  samples.sort((x, y) => x - y)
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!.toFixed(2)
  console.log(
    `\n### Invalidation reaching another L1 (2,000 sets; time from set() call to the other cache's L1 drop)\n\n| p50 ms | p99 ms | max ms |\n|---|---|---|\n| ${q(0.5)} | ${q(0.99)} | ${q(1)} |`,
  )
  await a.close()
  await b.close()
}

// Stampede across processes: each process fires 100 concurrent getOrSet of one cold key.
{
  const child = fileURLToPath(new URL('./lib/stampede-child.ts', import.meta.url))
  const admin = new Redis(URL_)
  console.log('\n### Stampede: 100 concurrent getOrSet of one key in each process, loader takes 100 ms\n')
  console.log('| library | 2 processes: loader runs | 3 processes: loader runs |')
  console.log('|---|---|---|')
  for (const lib of ['cachestack', 'cachestack (lock: true)', 'BentoCache', 'cache-manager', 'cacheable']) {
    const cells: number[] = []
    for (const n of [2, 3]) {
      const id = `bench-${run}-st-${randomUUID().slice(0, 6)}`
      const startAt = String(Date.now() + 4000)
      await Promise.all(
        Array.from({ length: n }, () => {
          const p = fork(child, [lib, URL_, id, startAt], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
          return new Promise<void>((resolve, reject) => {
            p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${lib} child exited ${code}`))))
          })
        }),
      )
      cells.push(Number(await admin.get(`${id}:runs`)))
      await admin.del(`${id}:runs`)
    }
    console.log(`| ${lib} | ${cells[0]} | ${cells[1]} |`)
  }
  admin.disconnect()
}

for (const lib of libs) await lib.close()
// Leave the shared Redis as it was: remove every key this run wrote.
{
  const admin = new Redis(URL_)
  let cursor = '0'
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `*bench-${run}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await admin.unlink(...keys)
  } while (cursor !== '0')
  admin.disconnect()
}
void rate
