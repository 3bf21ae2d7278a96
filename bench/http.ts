/**
 * Question: how many requests per second does the route cache serve on a hit,
 * next to the least a cache can do (a bare Map in the same framework), the
 * peers people use (apicache for Express, @fastify/caching), and, for
 * node:http, a bare server answering a constant body?
 *
 * The route takes 20 ms to render a 2 KB JSON document. Each server runs in
 * its own process; autocannon (32 connections) runs here. Contenders are
 * measured interleaved, round by round; medians of requests/s and of p99
 * latency are reported.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { machineLine, median, printTable, printTarget, type Result } from './lib/harness.js'
import './lib/servers.js' // REDIS_URL for the express-cachestack-redis server

const here = dirname(fileURLToPath(import.meta.url))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)

async function cpuOf(url: string): Promise<number> {
  const res = await fetch(new URL('/__cpu', url))
  return ((await res.json()) as { us: number }).us
}

function start(kind: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'lib/http-servers.ts'), kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /READY (\d+)/.exec(out)
      if (m !== null) resolve({ child, url: `http://127.0.0.1:${m[1]}/api/products` })
    })
    child.on('exit', (code) => reject(new Error(`${kind} exited with ${code}`)))
  })
}

function load(url: string, duration: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 32, duration, pipelining: 1 }, (err, res) => (err ? reject(err) : resolve(res)))
  })
}

async function group(
  title: string,
  kinds: string[],
  baseline: string,
): Promise<{ byRate: Record<string, number>; byCpu: Record<string, number> }> {
  const servers = await Promise.all(kinds.map(start))
  try {
    for (const s of servers) await load(s.url, 1) // warm up: fill the caches, JIT the paths
    const rps = kinds.map(() => [] as number[])
    const p99 = kinds.map(() => [] as number[])
    const perCpu = kinds.map(() => [] as number[])
    const errors = kinds.map(() => 0)
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < kinds.length; i++) {
        const before = await cpuOf(servers[i]!.url)
        const res = await load(servers[i]!.url, SECONDS)
        const used = (await cpuOf(servers[i]!.url)) - before
        rps[i]!.push(res.requests.average)
        p99[i]!.push(res.latency.p99)
        perCpu[i]!.push(res.requests.total / (used / 1e6))
        errors[i]! += res.errors + res.non2xx
      }
    }
    const results: Result[] = kinds.map((name, i) => ({
      name,
      opsPerSec: median(rps[i]!),
      rounds: rps[i]!,
      extra: {
        'p99 ms': median(p99[i]!).toFixed(1),
        'server CPU µs/req': (1e6 / median(perCpu[i]!)).toFixed(0),
        errors: errors[i]!,
      },
    }))
    const byRate = printTable(`${title} — requests/s`, results, baseline)
    // On a shared machine, wall-clock rates swing with the neighbours' load; the
    // server's CPU time per request does not, so it is reported as a second view.
    const byCpu = printTable(
      `${title} — requests per server CPU-second`,
      kinds.map((name, i) => ({ name, opsPerSec: median(perCpu[i]!), rounds: perCpu[i]! })),
      baseline,
    )
    return { byRate, byCpu }
  } finally {
    for (const s of servers) s.child.kill()
  }
}

console.log(`${machineLine()}\n`)
console.log(`autocannon: 32 connections, ${SECONDS} s × ${ROUNDS} rounds per contender, interleaved`)
const only = process.argv.slice(2)
const want = (g: string) => only.length === 0 || only.includes(g)

if (want('express')) {
  const r = await group(
    'Express 5: GET of a 20 ms, 2 KB JSON route',
    ['express-uncached', 'express-map', 'express-apicache', 'express-cachestack-memory', 'express-cachestack-redis'],
    'express-map',
  )
  for (const [view, x] of [
    ['requests/s', r.byRate],
    ['per CPU-second', r.byCpu],
  ] as const) {
    printTarget(`Express memory route cache vs the Map ceiling (${view})`, x['express-cachestack-memory']!, 0.9)
    printTarget(
      `Express memory route cache vs apicache (${view})`,
      x['express-cachestack-memory']! / x['express-apicache']!,
      1,
    )
  }
}
if (want('fastify')) {
  await group(
    'Fastify 5: the same route (@fastify/caching sets headers and ETags; it stores no responses)',
    ['fastify-uncached', 'fastify-map', 'fastify-caching', 'fastify-cachestack'],
    'fastify-map',
  )
}
if (want('node')) {
  const r = await group(
    'node:http: route cache hit vs a bare server answering a constant body',
    ['node-bare', 'node-cachestack'],
    'node-bare',
  )
  printTarget('node:http middleware vs a bare node:http server (requests/s)', r.byRate['node-cachestack']!, 0.8)
  printTarget('node:http middleware vs a bare node:http server (per CPU-second)', r.byCpu['node-cachestack']!, 0.8)
}
if (want('hono')) {
  await group('Hono (node-server): route cache hit vs a constant body', ['hono-bare', 'hono-cachestack'], 'hono-bare')
}
