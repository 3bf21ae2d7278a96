/**
 * Question: what does recording with the analyzer cost a route? A node:http
 * route answering a 1 KB JSON body, with nothing in front of it, with
 * `analyze(recorder)` recording every request (sampleRate 1, bodies
 * digested), the same without body digests, and with keys sampled at 0.1. Target: ≤ 5 % at 5,000 requests/s.
 *
 * Each variant's server runs alone in its own process; autocannon runs here
 * at a fixed 5,000 requests/s (the load) over 16 connections and
 * 2,000 URLs, then once unthrottled. The figure compared is the server's CPU
 * time per request (user + system, read from the child after each run): at a
 * fixed rate, throughput is the same for everyone, and what recording costs
 * is CPU. Variants take turns for several rounds; medians are printed with
 * ratios to the plain route.
 */
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import autocannon from 'autocannon'
import { analyze, createRecorder } from '../src/analyze.js'
import { machineLine, median } from './lib/harness.js'

const VARIANTS = {
  plain: 'route, nothing in front',
  'analyze-1': 'analyze(), every key recorded, bodies digested',
  'analyze-nobody': 'analyze(), every key recorded, hashBodies: false',
  'analyze-0.1': 'analyze(), keys sampled at 0.1',
} as const
type Variant = keyof typeof VARIANTS
const RATE = Number(process.env.RATE ?? 2_000)
const SECONDS = Number(process.env.SECONDS ?? 6)
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const URLS = 2_000

/** Child: serves the route with the variant's middleware; answers its CPU time on /_cpu. */
function child(variant: Variant): void {
  const body = JSON.stringify({
    items: Array.from({ length: 12 }, (_, i) => ({ id: i, name: `product ${i}`, price: 9.99 + i, tags: ['a', 'b'] })),
  })
  const route = (url: string, res: import('node:http').ServerResponse) => {
    res.setHeader('content-type', 'application/json')
    res.end(body.replace('product 0', url))
  }
  const mw =
    variant === 'plain'
      ? undefined
      : analyze(createRecorder({ sampleRate: variant === 'analyze-0.1' ? 0.1 : 1 }), {
          hashBodies: variant !== 'analyze-nobody',
        })
  const server = createServer((req, res) => {
    if (req.url === '/_cpu') {
      const u = process.cpuUsage()
      res.end(String((u.user + u.system) / 1000))
      return
    }
    if (mw === undefined) route(req.url!, res)
    else mw(req, res, () => route(req.url!, res))
  })
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port))
}

const cpu = async (base: string) => Number(await (await fetch(`${base}/_cpu`)).text())

function load(base: string, rate: number | undefined): Promise<autocannon.Result> {
  let i = 0
  return new Promise((resolve, reject) =>
    autocannon(
      {
        url: base,
        connections: 16,
        duration: SECONDS,
        ...(rate === undefined ? {} : { overallRate: rate }),
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/products/${i++ % URLS}?page=1` }) }],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  )
}

interface Round {
  cpuUsPerReq: number
  p99: number
  maxRps: number
}

async function measure(variant: Variant): Promise<Round> {
  const proc = fork(process.argv[1]!, [variant], { execArgv: process.execArgv })
  const port = await new Promise<number>((resolve) => proc.once('message', (p) => resolve(p as number)))
  const base = `http://127.0.0.1:${port}`
  try {
    await load(base, RATE) // warm-up: JIT, sockets, the recorder's tables
    const c0 = await cpu(base)
    const fixed = await load(base, RATE)
    const c1 = await cpu(base)
    const open = await load(base, undefined)
    return {
      cpuUsPerReq: ((c1 - c0) * 1000) / fixed.requests.total,
      p99: fixed.latency.p99,
      maxRps: open.requests.average,
    }
  } finally {
    proc.kill()
  }
}

async function parent(): Promise<void> {
  console.log(
    `${machineLine()}\nautocannon: 16 connections, ${URLS} URLs, ${SECONDS} s at ${RATE} req/s then unthrottled; ${ROUNDS} rounds, variants interleaved\n`,
  )
  const runs = new Map<Variant, Round[]>()
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of Object.keys(VARIANTS) as Variant[]) {
      const list = runs.get(v) ?? []
      list.push(await measure(v))
      runs.set(v, list)
    }
  }
  const m = (v: Variant, f: (x: Round) => number) => median(runs.get(v)!.map(f))
  const base = m('plain', (x) => x.cpuUsPerReq)
  const rows = (Object.keys(VARIANTS) as Variant[]).map((v) => [
    VARIANTS[v],
    `${m(v, (x) => x.cpuUsPerReq).toFixed(1)} µs`,
    `${((m(v, (x) => x.cpuUsPerReq) / base - 1) * 100).toFixed(1)} %`,
    `${m(v, (x) => x.p99)} ms`,
    `${(m(v, (x) => x.maxRps) / 1000).toFixed(1)} k/s`,
    `${(m(v, (x) => x.maxRps) / m('plain', (x) => x.maxRps)).toFixed(2)}×`,
  ])
  const header = ['variant', 'server CPU / request', 'overhead', `p99 at ${RATE}/s`, 'max req/s', 'vs plain']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'))
  const overhead = m('analyze-1', (x) => x.cpuUsPerReq) / base - 1
  console.log(
    `\ntarget: recording every request costs ≤ 5 % at ${RATE} req/s: ${(overhead * 100).toFixed(1)} % ${overhead <= 0.05 ? 'MET' : 'NOT MET'}`,
  )
}

const arg = process.argv[2]
if (arg !== undefined && Object.hasOwn(VARIANTS, arg)) child(arg as Variant)
else await parent()
