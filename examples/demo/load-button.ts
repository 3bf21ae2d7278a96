/**
 * The "run the load test" button: the same browsing mix twice against this
 * demo process, first with `?cache=off` on every request (the uncached path),
 * then cached, each after one warm-up pass, with autocannon on the loopback
 * address. Short and bounded (a few seconds per phase, 10 connections): the
 * page draws the before/after table and a chart of requests/s from it.
 * `npm run demo:load` is the longer, separate-process version.
 */
import autocannon from 'autocannon'

/** One phase's figures, all measured in the run. */
export interface LoadPhase {
  mode: 'caching off' | 'caching on'
  requests: number
  requestsPerSecond: number
  p50: number
  p99: number
  errors: number
  /** Database queries per request during the phase. */
  dbQueriesPerRequest: number
}

/** Both phases and the ratio of requests/s. */
export interface LoadRun {
  seconds: number
  connections: number
  phases: [LoadPhase, LoadPhase]
  /** Requests/s with caching on over caching off. */
  ratio: number
}

/** Product pages, API reads and list pages: a small hot set, as a shop's front page sends. */
function mix(cacheOff: boolean): autocannon.Request[] {
  const paths: string[] = []
  for (let id = 1; id <= 30; id++) paths.push(`/api/products/${id}`, `/product/${id}`)
  for (let page = 1; page <= 3; page++) paths.push(`/?page=${page}`)
  return paths.map((p) => ({ method: 'GET', path: cacheOff ? `${p}${p.includes('?') ? '&' : '?'}cache=off` : p }))
}

async function phase(
  base: string,
  queries: () => number,
  cacheOff: boolean,
  seconds: number,
  connections: number,
): Promise<LoadPhase> {
  const requests = mix(cacheOff)
  // One warm-up pass, so the cached phase measures a warm cache (and the uncached one warm connections).
  await autocannon({ url: base, connections: 1, amount: requests.length, requests })
  const before = queries()
  const r = await autocannon({ url: base, connections, duration: seconds, requests })
  const total = r.requests.total
  return {
    mode: cacheOff ? 'caching off' : 'caching on',
    requests: total,
    requestsPerSecond: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    dbQueriesPerRequest: total === 0 ? 0 : (queries() - before) / total,
  }
}

let running = false

/**
 * Runs both phases against `base` (this process, on the loopback address).
 * Resolves `undefined` when a run is already going.
 */
export async function runLoad(
  base: string,
  queries: () => number,
  seconds = 3,
  connections = 10,
): Promise<LoadRun | undefined> {
  if (running) return undefined
  running = true
  try {
    const off = await phase(base, queries, true, seconds, connections)
    const on = await phase(base, queries, false, seconds, connections)
    const ratio = off.requestsPerSecond === 0 ? 0 : on.requestsPerSecond / off.requestsPerSecond
    return { seconds, connections, phases: [off, on], ratio }
  } finally {
    running = false
  }
}
