/**
 * Access traces for the hit-ratio simulator: synthetic ones generated
 * deterministically from a seed (the same trace on every run and machine), and
 * a reader of plain text files with one key per line, so real traces can be
 * replayed too.
 */
import { readFileSync } from 'node:fs'

/** A named sequence of keys to replay. */
export interface Trace {
  name: string
  keys: string[]
}

/** A small, fast, seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A Zipf sampler over ranks 0..n-1: rank r is drawn with probability ∝ 1/(r+1)^α.
 * Inverts a precomputed CDF by binary search.
 */
export function zipf(n: number, alpha: number, rnd: () => number): () => number {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let r = 0; r < n; r++) {
    sum += 1 / (r + 1) ** alpha
    cdf[r] = sum
  }
  for (let r = 0; r < n; r++) cdf[r]! /= sum
  return () => {
    const u = rnd()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid]! < u) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** Interned key strings, so replaying a trace allocates nothing. */
function keyTable(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}:${i}`)
}

/**
 * Ranks are scattered over the key space, so the hot keys are not also the
 * lexically smallest ones (which would flatter a hash with weak low bits).
 */
function scatter(n: number, rnd: () => number): Int32Array {
  const p = new Int32Array(n)
  for (let i = 0; i < n; i++) p[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    const t = p[i]!
    p[i] = p[j]!
    p[j] = t
  }
  return p
}

/** `requests` draws from a Zipf(α) distribution over `universe` keys. */
export function zipfTrace(alpha: number, requests: number, universe: number, seed = 1): Trace {
  const rnd = random(seed)
  const draw = zipf(universe, alpha, rnd)
  const table = keyTable('z', universe)
  const perm = scatter(universe, rnd)
  const keys = new Array<string>(requests)
  for (let i = 0; i < requests; i++) keys[i] = table[perm[draw()]!]!
  return { name: `zipf α=${alpha}`, keys }
}

/**
 * Zipf(α) traffic interrupted every `every` requests by a scan of `scanLength`
 * keys that are each read once and never again (a crawler, a report, a cron job).
 */
export function zipfWithScans(
  alpha: number,
  requests: number,
  universe: number,
  every: number,
  scanLength: number,
  seed = 2,
): Trace {
  const base = zipfTrace(alpha, requests, universe, seed).keys
  const keys: string[] = []
  let scanned = 0
  for (let i = 0; i < base.length; i++) {
    if (i > 0 && i % every === 0) for (let s = 0; s < scanLength; s++) keys.push(`scan:${scanned++}`)
    keys.push(base[i]!)
  }
  return { name: `zipf α=${alpha} + scans of ${scanLength.toLocaleString('en')}`, keys }
}

/**
 * Zipf(α) traffic with a crawler alongside it: every `every` requests, the next
 * `length` one-off keys are interleaved one for one with the regular traffic.
 */
export function zipfWithCrawler(
  alpha: number,
  requests: number,
  universe: number,
  every: number,
  length: number,
  seed = 4,
): Trace {
  const base = zipfTrace(alpha, requests, universe, seed).keys
  const keys: string[] = []
  let scanned = 0
  let left = 0
  for (let i = 0; i < base.length; i++) {
    if (i > 0 && i % every === 0) left = length
    if (left > 0) {
      keys.push(`scan:${scanned++}`)
      left--
    }
    keys.push(base[i]!)
  }
  return { name: `zipf α=${alpha} + crawler of ${length.toLocaleString('en')} interleaved`, keys }
}

/** The keys 0..length-1 in order, over and over: a loop slightly larger than the cache defeats LRU. */
export function loopTrace(length: number, requests: number): Trace {
  const table = keyTable('loop', length)
  const keys = new Array<string>(requests)
  for (let i = 0; i < requests; i++) keys[i] = table[i % length]!
  return { name: `loop of ${length.toLocaleString('en')}`, keys }
}

/**
 * A working set that moves: `hotShare` of requests go to a hot set of `hotSize`
 * keys (Zipf α 0.8 inside it), the rest to a Zipf(0.9) background over
 * `universe` keys; every `shiftEvery` requests the hot set is replaced by
 * `hotSize` keys never seen before.
 */
export function shiftingTrace(
  requests: number,
  universe: number,
  hotSize: number,
  shiftEvery: number,
  hotShare = 0.8,
  seed = 3,
): Trace {
  const rnd = random(seed)
  const background = zipf(universe, 0.9, rnd)
  const hot = zipf(hotSize, 0.8, rnd)
  const table = keyTable('bg', universe)
  const perm = scatter(universe, rnd)
  const keys = new Array<string>(requests)
  let hotTable = keyTable('hot0', hotSize)
  for (let i = 0; i < requests; i++) {
    if (i > 0 && i % shiftEvery === 0) hotTable = keyTable(`hot${i / shiftEvery}`, hotSize)
    keys[i] = rnd() < hotShare ? hotTable[hot()]! : table[perm[background()]!]!
  }
  return { name: `shifting hot set of ${hotSize.toLocaleString('en')} every ${shiftEvery.toLocaleString('en')}`, keys }
}

/**
 * Reads a trace file: one key per line (blank lines skipped). If a line holds
 * several whitespace-separated fields, the first is the key, so common trace
 * formats ("key size", "timestamp key …" after a cut) replay with little work.
 */
export function readTraceFile(path: string): Trace {
  const text = readFileSync(path, 'utf8')
  const keys: string[] = []
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (t === '') continue
    const space = t.search(/\s/)
    keys.push(space === -1 ? t : t.slice(0, space))
  }
  return { name: path, keys }
}
