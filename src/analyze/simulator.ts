/**
 * The cache simulator: replays a key trace against caches of several sizes
 * and prints the hit-ratio curve of each policy. The policies are the memory
 * tier itself (`memoryStore` with `'tinylfu'`, as cachestack runs it, and with
 * `'lru'`), not models of them, beside Belady's OPT as the ceiling no policy
 * can pass at the same size.
 *
 * Each request is a read; a miss writes the key, as a cache in front of a
 * loader does. A trace recorded with key sampling (rate r < 1) holds r of the
 * keys, so a cache of `size` entries is simulated with `size × r` entries
 * (spatial sampling, as SHARDS does).
 * @module
 */
import { invalidOption } from '../core/errors.js'
import { memoryStore } from '../stores/memory/create-memory-store.js'
import { beladyOptIds } from './belady.js'
import { REPLAY_ENVELOPE, REPLAY_NEVER } from './replay-entry.js'

/** A simulated policy: the memory tier's two, and the clairvoyant ceiling. */
export type SimulatedPolicy = 'tinylfu' | 'lru' | 'opt'

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** Cache sizes in entries. @defaultValue ten sizes from 0.1 % to 100 % of the distinct keys */
  sizes?: readonly number[]
  /** @defaultValue `['lru', 'tinylfu', 'opt']` */
  policies?: readonly SimulatedPolicy[]
  /** The share of keys the trace holds (a sampled recording's `sampleRate`). @defaultValue 1 */
  sampleRate?: number
}

/** The curve: for each policy, its hit ratio (0..1) at each size. */
export interface SimulationResult {
  requests: number
  distinct: number
  sizes: number[]
  curves: { policy: SimulatedPolicy; ratios: number[] }[]
  /**
   * The best any cache can do on this trace: every request but the first of
   * each key is a hit, `(requests − distinct) / requests`.
   */
  ceiling: number
}

/** Ten sizes from 0.1 % to 100 % of `distinct`, two significant digits, at least 1, without repeats. */
export function defaultSizes(distinct: number): number[] {
  const shares = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
  const round = (x: number) => {
    if (x < 100) return Math.max(1, Math.round(x))
    const p = 10 ** (Math.floor(Math.log10(x)) - 1)
    return Math.round(x / p) * p
  }
  return [...new Set(shares.map((s) => round(s * distinct)))]
}

/** Hit ratio of the memory tier with `policy` at `size` entries over `ids`. */
function replayStore(ids: Int32Array, names: string[], size: number, policy: 'tinylfu' | 'lru'): number {
  const store = memoryStore({ maxEntries: size, policy })
  let hits = 0
  for (let i = 0; i < ids.length; i++) {
    const k = names[ids[i]!]!
    if (store.get(k) !== undefined) hits++
    else store.set(k, REPLAY_ENVELOPE, REPLAY_NEVER)
  }
  store.close()
  return ids.length === 0 ? 0 : hits / ids.length
}

/**
 * Replays a trace of dense key ids (0 … distinct − 1) against every policy and size.
 *
 * @param ids - the trace (see `traceIds`, `keyIds`)
 * @param distinct - the number of distinct ids
 * @param options - see {@link SimulateOptions}
 */
export function simulate(ids: Int32Array, distinct: number, options: SimulateOptions = {}): SimulationResult {
  const sizes = [...(options.sizes ?? defaultSizes(distinct))]
  for (const s of sizes) if (!Number.isInteger(s) || s < 1) throw invalidOption('sizes', 'positive integers', s)
  const policies = options.policies ?? (['lru', 'tinylfu', 'opt'] as const)
  const rate = options.sampleRate ?? 1
  if (!(rate > 0 && rate <= 1)) throw invalidOption('sampleRate', 'a number above 0 and at most 1', rate)
  const names = Array.from({ length: distinct }, (_, i) => `k${i}`)
  const curves = policies.map((policy) => ({
    policy,
    ratios: sizes.map((size) => {
      // A cache larger than the key set behaves like one that holds every key.
      const scaled = Math.min(Math.max(1, distinct), Math.max(1, Math.round(size * rate)))
      if (policy === 'opt') return beladyOptIds(ids, distinct, scaled).ratio
      return replayStore(ids, names, scaled, policy)
    }),
  }))
  return {
    requests: ids.length,
    distinct,
    sizes,
    curves,
    ceiling: ids.length === 0 ? 0 : (ids.length - distinct) / ids.length,
  }
}

/**
 * The sentence under the curve: the smallest size at which cachestack's
 * policy gets 90 % of the hits any cache could get on this trace (or the
 * best size simulated, if none does).
 */
export function summarize(result: SimulationResult): string {
  const tiny = result.curves.find((c) => c.policy === 'tinylfu') ?? result.curves[0]
  if (tiny === undefined || result.requests === 0 || result.ceiling === 0) {
    return 'No key in this trace is read twice: no cache would get a hit.'
  }
  const opt = result.curves.find((c) => c.policy === 'opt')
  let i = tiny.ratios.findIndex((r) => r >= 0.9 * result.ceiling)
  if (i === -1) i = tiny.ratios.length - 1
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`
  const size = result.sizes[i]!
  const ratio = tiny.ratios[i]!
  const vsOpt = opt === undefined ? '' : `, ${pct(ratio / Math.max(1e-9, opt.ratios[i]!))} of OPT at that size`
  return `An L1 of ${size.toLocaleString('en-US')} entries (${tiny.policy}) gets a ${pct(ratio)} hit ratio: ${pct(ratio / result.ceiling)} of what is possible on this trace (${pct(result.ceiling)} with every key held${vsOpt}).`
}
