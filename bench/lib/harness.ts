/**
 * The benchmark harness every bench/ file uses: rounds of timed batches,
 * medians, and tables with ratios to a named baseline, measured in one run.
 */
import os from 'node:os'

/** One measured contender. */
export interface Result {
  name: string
  /** Median operations per second over the rounds. */
  opsPerSec: number
  /** Every round's ops/s, for spread. */
  rounds: number[]
  /** Extra columns (p99, statements issued, …), printed as given. */
  extra?: Record<string, string | number>
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Operations per round. @defaultValue 200_000 */
  ops?: number
  /** Rounds; the median is reported. @defaultValue 7 */
  rounds?: number
  /** Warm-up operations before the first round. @defaultValue ops / 2 */
  warmup?: number
}

type Op = (i: number) => unknown

/**
 * Measures a synchronous or asynchronous operation. An async `fn` is awaited
 * one call at a time (latency-bound, as a request handler would), so it is
 * compared fairly against `await map.get(k)`.
 */
export async function measure(name: string, fn: Op, options: MeasureOptions = {}): Promise<Result> {
  const ops = options.ops ?? 200_000
  const rounds = options.rounds ?? 7
  const warmup = options.warmup ?? Math.floor(ops / 2)
  const probe = fn(0)
  const isAsync = probe instanceof Promise
  if (isAsync) await probe
  const run = isAsync
    ? async (n: number) => {
        for (let i = 0; i < n; i++) await fn(i)
      }
    : (n: number) => {
        for (let i = 0; i < n; i++) fn(i)
      }
  await run(warmup)
  const results: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint()
    await run(ops)
    const ns = Number(process.hrtime.bigint() - t0)
    results.push(ops / (ns / 1e9))
  }
  return { name, opsPerSec: median(results), rounds: results }
}

/**
 * Measures several contenders interleaved round by round (A B C, A B C, …), so
 * a noisy moment of the machine hits all of them rather than one.
 */
export async function compare(contenders: [string, Op][], options: MeasureOptions = {}): Promise<Result[]> {
  const rounds = options.rounds ?? 7
  const all = contenders.map(([name]) => ({ name, opsPerSec: 0, rounds: [] as number[] }))
  for (let r = 0; r < rounds; r++) {
    for (let c = 0; c < contenders.length; c++) {
      const [name, fn] = contenders[c]!
      const one = await measure(name, fn, { ...options, rounds: 1, warmup: r === 0 ? options.warmup : 1000 })
      all[c]!.rounds.push(one.rounds[0]!)
    }
  }
  for (const res of all) res.opsPerSec = median(res.rounds)
  return all
}

/** The median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Formats ops/s as `1.23 M/s`, `456 k/s`. */
export function rate(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)} M/s`
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)} k/s`
  return `${opsPerSec.toFixed(0)} /s`
}

/**
 * Prints a table of results with each one's ratio to `baseline` (a result name).
 * @returns the ratios by name, for targets
 */
export function printTable(title: string, results: Result[], baseline: string): Record<string, number> {
  const base = results.find((r) => r.name === baseline)
  const ratios: Record<string, number> = {}
  const extraKeys = [...new Set(results.flatMap((r) => Object.keys(r.extra ?? {})))]
  const rows = results.map((r) => {
    const ratio = base ? r.opsPerSec / base.opsPerSec : Number.NaN
    ratios[r.name] = ratio
    const spread = `${rate(Math.min(...r.rounds))} – ${rate(Math.max(...r.rounds))}`
    return [
      r.name,
      rate(r.opsPerSec),
      `${ratio.toFixed(2)}×`,
      spread,
      ...extraKeys.map((k) => String(r.extra?.[k] ?? '')),
    ]
  })
  const header = ['contender', 'median', `vs ${baseline}`, 'min – max', ...extraKeys]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  console.log(`\n### ${title}\n`)
  console.log(fmt(header))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const row of rows) console.log(fmt(row))
  return ratios
}

/** Prints whether a target holds: `ratio` against `min`. */
export function printTarget(label: string, ratio: number, min: number): boolean {
  const ok = ratio >= min
  console.log(`- target ${label}: ${ratio.toFixed(2)}× (need ≥ ${min}×) ${ok ? 'MET' : 'NOT MET'}`)
  return ok
}

/** One line naming the machine, Node version and date, printed at the top of each bench. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu'
  return `${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${os.cpus().length} × ${cpu} · ${Math.round(os.totalmem() / 2 ** 30)} GiB`
}
