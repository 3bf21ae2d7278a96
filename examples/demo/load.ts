/**
 * `npm run demo:load`: measures the demo app with caching off, then on, with
 * autocannon, and prints a before/after table. Every number comes from the
 * run: requests/s and latency from autocannon, database queries and external
 * calls from the app's own counters, hit ratio from cachestack's stats.
 *
 * Options (env): DURATION seconds per phase (default 10), CONNECTIONS (default 20).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const here = dirname(fileURLToPath(import.meta.url))
const duration = Number(process.env.DURATION ?? 10)
const connections = Number(process.env.CONNECTIONS ?? 20)

interface Phase {
  mode: string
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

// A browsing mix: the catalog page, list pages, product details (popular ones more often) and searches.
function requestMix(): { path: string }[] {
  const paths: string[] = []
  for (let i = 0; i < 200; i++) {
    const r = i % 10
    if (r === 0) paths.push('/')
    else if (r < 3) paths.push(`/api/products?page=${1 + (i % 5)}`)
    else if (r < 9) paths.push(`/api/products/${1 + ((i * 7919) % (i % 3 === 0 ? 50 : 500))}`)
    else paths.push(`/api/search?q=${['eco', 'pro', 'mini', 'garden'][i % 4]}`)
  }
  return paths.map((path) => ({ path }))
}

async function startApp(caching: boolean): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'main.ts')], {
    env: { ...process.env, PORT: String(port), CACHE: caching ? 'on' : 'off', DEMO_QUIET: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/_demo/stats`)).ok) return { url, child }
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  child.kill()
  throw new Error('the demo app did not start within 20 s')
}

async function phase(caching: boolean): Promise<Phase> {
  const { url, child } = await startApp(caching)
  try {
    const result = await autocannon({ url, connections, duration, requests: requestMix() })
    const stats = (await (await fetch(`${url}/_demo/stats`)).json()) as {
      dbQueries: number
      pricingCalls: number
      cache: { hitRatio: number; hits: number; misses: number }
    }
    return {
      mode: caching ? 'caching on' : 'caching off',
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
      dbQueries: stats.dbQueries,
      pricingCalls: stats.pricingCalls,
      hitRatio: caching ? stats.cache.hitRatio : undefined,
    }
  } finally {
    child.kill('SIGTERM')
  }
}

/** Runs both phases and prints the table; returns the phases for tests. */
export async function runLoad(): Promise<Phase[]> {
  console.log(`Driving the demo for ${duration} s per phase with ${connections} connections…`)
  const off = await phase(false)
  const on = await phase(true)
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
  const perRequest = (n: number, p: Phase) => (n / Math.max(1, p.rps * duration)).toFixed(3)
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
  return rows
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runLoad()
