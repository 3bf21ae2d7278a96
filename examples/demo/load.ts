/**
 * `npm run demo:load`: measures the demo app with caching off, then on, with
 * autocannon, and prints a before/after table. Every number comes from the
 * run: requests/s and latency from autocannon, database queries and external
 * calls from the app's own counters, hit ratio from cachestack's stats.
 *
 * Each phase starts a fresh app process, warms it with the first requests of
 * the mix (so both phases are measured warm: the database's page cache and
 * the JIT for caching off, the hot keys for caching on), then measures the
 * rest of the mix, long tail included; counters are the differences over the
 * measured run only.
 *
 * Options: `--duration <s>` per phase (default 10, or DURATION), `--connections <n>`
 * (default 20, or CONNECTIONS).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { arch, cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const here = dirname(fileURLToPath(import.meta.url))

export interface LoadOptions {
  /** Seconds per phase. @defaultValue 10 */
  duration?: number
  /** Concurrent connections. @defaultValue 20 */
  connections?: number
}

interface Phase {
  mode: string
  requests: number
  rps: number
  p50: number
  p99: number
  errors: number
  dbQueries: number
  pricingCalls: number
  hitRatio: number | undefined
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

/**
 * A browsing mix with a long tail, fixed by a seeded generator so every run
 * replays the same sequence: 5 % catalog pages, 15 % list pages (of 20),
 * 10 % product pages (which count a view), 60 % product API reads (70 % of
 * them among 100 popular products, the rest spread over 1,000), 10 % searches.
 */
export function requestMix(n = 5000): string[] {
  let seed = 42
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
  const product = () => (rand() < 0.7 ? 1 + Math.floor(rand() * 100) : 1 + Math.floor(rand() * 1000))
  const terms = ['eco', 'pro', 'mini', 'garden', 'smart', 'vintage red', 'tools item 12', 'blue']
  const paths: string[] = []
  for (let i = 0; i < n; i++) {
    const r = rand()
    if (r < 0.05) paths.push('/')
    else if (r < 0.2) paths.push(`/api/products?page=${1 + Math.floor(rand() * 20)}`)
    else if (r < 0.3) paths.push(`/product/${product()}`)
    else if (r < 0.9) paths.push(`/api/products/${product()}`)
    else paths.push(`/api/search?q=${encodeURIComponent(terms[Math.floor(rand() * terms.length)]!)}`)
  }
  return paths
}

/** One shared cursor over the mix, so the connections walk it together instead of each replaying it from the start. */
function mixRequests(paths: readonly string[], from: number): autocannon.Request[] {
  let cursor = from
  return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[cursor++ % paths.length]! }) }]
}

const WARM_UP = 300

interface Counters {
  dbQueries: number
  pricingCalls: number
  cache: { hits: number; misses: number; staleHits: number }
}

const counters = async (url: string) => (await (await fetch(`${url}/_demo/stats`)).json()) as Counters

/** Replays the first requests of the mix, so both phases are measured warm (JIT, database pages, hot keys), not cold. */
async function warm(url: string, mix: readonly string[]): Promise<void> {
  const paths = mix.slice(0, WARM_UP)
  for (let i = 0; i < paths.length; i += 10) {
    await Promise.all(paths.slice(i, i + 10).map((p) => fetch(`${url}${p}`).then((r) => r.arrayBuffer())))
  }
}

async function startApp(caching: boolean, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'main.ts')], {
    env: {
      ...process.env,
      PORT: String(port),
      CACHE: caching ? 'on' : 'off',
      DEMO_QUIET: '1',
      CACHESTACK_DEMO_DIR: dataDir,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${url}/_demo/stats`)).ok) return { url, child }
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  child.kill()
  throw new Error('the demo app did not start within 60 s')
}

async function phase(caching: boolean, duration: number, connections: number, dataDir: string): Promise<Phase> {
  const { url, child } = await startApp(caching, dataDir)
  try {
    const mix = requestMix()
    await warm(url, mix)
    const before = await counters(url)
    const result = await autocannon({ url, connections, duration, requests: mixRequests(mix, WARM_UP) })
    const after = await counters(url)
    const hits = after.cache.hits + after.cache.staleHits - before.cache.hits - before.cache.staleHits
    const misses = after.cache.misses - before.cache.misses
    return {
      mode: caching ? 'caching on' : 'caching off',
      requests: result.requests.total,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
      dbQueries: after.dbQueries - before.dbQueries,
      pricingCalls: after.pricingCalls - before.pricingCalls,
      hitRatio: caching ? hits / Math.max(1, hits + misses) : undefined,
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
}

/** The machine the numbers come from, for the table's caption. */
export function machine(): string {
  const cpu = cpus()
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, ${process.platform}-${arch()}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the end`
}

/** Runs both phases and prints the table; returns the phases for tests. */
export async function runLoad(options: LoadOptions = {}): Promise<Phase[]> {
  const duration = options.duration ?? Number(process.env.DURATION ?? 10)
  const connections = options.connections ?? Number(process.env.CONNECTIONS ?? 20)
  if (!(duration > 0) || !(connections >= 1)) {
    throw new TypeError('--duration must be a number of seconds > 0 and --connections an integer ≥ 1')
  }
  const db = process.env.DATABASE_URL?.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'
  const tiers = process.env.REDIS_URL ? 'memory + Redis' : 'memory + SQLite (default)'
  console.log(
    `Driving the demo (${db}, cache tiers ${tiers}, pricing delay ${process.env.PRICING_DELAY_MS ?? 40} ms) for ${duration} s per phase with ${connections} connections, after a warm-up of ${WARM_UP} requests…`,
  )
  // A fresh data folder: no cache file warm from an earlier run, no edited prices.
  const dataDir = mkdtempSync(join(tmpdir(), 'cachestack-demo-load-'))
  let off: Phase
  let on: Phase
  try {
    off = await phase(false, duration, connections, dataDir)
    on = await phase(true, duration, connections, dataDir)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
  const rows = [off, on]
  const header = ['', 'requests/s', 'p50 ms', 'p99 ms', 'DB queries', 'external calls', 'hit ratio', 'errors']
  const cells = rows.map((p) => [
    p.mode,
    p.rps.toFixed(0),
    String(p.p50),
    String(p.p99),
    String(p.dbQueries),
    String(p.pricingCalls),
    p.hitRatio === undefined ? '–' : `${(p.hitRatio * 100).toFixed(1)} %`,
    String(p.errors),
  ])
  const perRequest = (n: number, p: Phase) => (n / Math.max(1, p.requests)).toFixed(3)
  cells.push([
    'on vs off',
    `${(on.rps / off.rps).toFixed(1)}×`,
    `${off.p50} → ${on.p50}`,
    `${off.p99} → ${on.p99}`,
    `${perRequest(off.dbQueries, off)} → ${perRequest(on.dbQueries, on)} per request`,
    `${perRequest(off.pricingCalls, off)} → ${perRequest(on.pricingCalls, on)} per request`,
    '',
    '',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`
  console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${cells.map(line).join('\n')}\n`)
  console.log(`Machine: ${machine()}; ${duration} s per phase, ${connections} connections.\n`)
  return rows
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { duration: { type: 'string', short: 'd' }, connections: { type: 'string', short: 'c' } },
  })
  await runLoad({
    ...(values.duration === undefined ? {} : { duration: Number(values.duration) }),
    ...(values.connections === undefined ? {} : { connections: Number(values.connections) }),
  })
}
