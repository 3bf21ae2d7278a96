/**
 * Throughput at a given concurrency: `concurrency` workers each await one
 * operation after another, as that many simultaneous requests would. At
 * concurrency 1 this is `measure`'s latency-bound loop; at 100 a remote store
 * pipelines up to 100 commands on one connection. Contenders are interleaved
 * round by round, as in `compare`.
 */
import { median, type Result } from './harness.js'

/** One operation; `i` is its index across all workers. */
export type AsyncOp = (i: number) => unknown

/** Options of {@link compareConcurrent}. */
export interface ConcurrentOptions {
  /** Operations per round (across all workers). */
  ops: number
  /** Simultaneous workers. */
  concurrency: number
  /** Rounds; the median is reported. @defaultValue 5 */
  rounds?: number
  /** Warm-up operations before the first round. @defaultValue ops / 4 */
  warmup?: number
}

async function runOnce(fn: AsyncOp, ops: number, concurrency: number): Promise<number> {
  let next = 0
  const worker = async () => {
    for (let i = next++; i < ops; i = next++) await fn(i)
  }
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker))
  const ns = Number(process.hrtime.bigint() - t0)
  return ops / (ns / 1e9)
}

/** Measures each contender at `concurrency`, interleaved round by round; medians of ops/s. */
export async function compareConcurrent(
  contenders: [string, AsyncOp][],
  options: ConcurrentOptions,
): Promise<Result[]> {
  const rounds = options.rounds ?? 5
  const warmup = options.warmup ?? Math.floor(options.ops / 4)
  for (const [, fn] of contenders) await runOnce(fn, warmup, options.concurrency)
  const all = contenders.map(([name]) => ({ name, opsPerSec: 0, rounds: [] as number[] }))
  for (let r = 0; r < rounds; r++) {
    for (let c = 0; c < contenders.length; c++) {
      all[c]!.rounds.push(await runOnce(contenders[c]![1], options.ops, options.concurrency))
    }
  }
  for (const res of all) res.opsPerSec = median(res.rounds)
  return all
}

/**
 * Adds a `per-round ratio` column: each contender's ops/s divided by the first
 * contender's in the same round, median over the rounds. On a shared, noisy
 * machine this is steadier than the ratio of the medians (both were measured
 * within the same few hundred ms).
 */
export function withRoundRatio(results: Result[]): Result[] {
  const base = results[0]!.rounds
  return results.map((res) => ({
    ...res,
    extra: { ...res.extra, 'per-round ratio': `${median(res.rounds.map((x, r) => x / base[r]!)).toFixed(2)}×` },
  }))
}
