/**
 * Belady's OPT, the clairvoyant ceiling of the hit-ratio simulator: on a miss it
 * evicts the entry whose next use is furthest away, and it does not store a key
 * that will be read later than everything it holds (or never again). No policy
 * that does not know the future can do better at the same size, so the gap
 * between OPT and LRU bounds what any admission policy can gain on a trace.
 * Used by `cachestack simulate` and by `npm run bench:hit-ratio`.
 * @module
 */

const NEVER = 2_147_483_647

/**
 * Dense ids (0, 1, 2, … in order of first appearance) of a list of keys.
 * @internal
 */
export function keyIds(keys: readonly string[]): { ids: Int32Array; distinct: number } {
  const ids = new Int32Array(keys.length)
  const idOf = new Map<string, number>()
  for (let i = 0; i < keys.length; i++) {
    let id = idOf.get(keys[i]!)
    if (id === undefined) {
      id = idOf.size
      idOf.set(keys[i]!, id)
    }
    ids[i] = id
  }
  return { ids, distinct: idOf.size }
}

/** Hit ratio of OPT on `keys` at `size` entries, and per block of `block` requests. */
export function beladyOpt(keys: readonly string[], size: number, block = 0): { ratio: number; blocks: number[] } {
  const { ids, distinct } = keyIds(keys)
  return beladyOptIds(ids, distinct, size, block)
}

/** {@link beladyOpt} over dense key ids (see {@link keyIds}). */
export function beladyOptIds(
  ids: Int32Array,
  distinct: number,
  size: number,
  block = 0,
): { ratio: number; blocks: number[] } {
  const n = ids.length
  // For each request, the index of the same key's next request.
  const next = new Int32Array(n)
  const seen = new Int32Array(distinct).fill(NEVER)
  for (let i = n - 1; i >= 0; i--) {
    next[i] = seen[ids[i]!]!
    seen[ids[i]!] = i
  }
  // Held keys with their next use (-1: not held), and a max-heap of (next use, id)
  // with stale pairs skipped lazily.
  const held = new Int32Array(distinct).fill(-1)
  let count = 0
  const heapUse: number[] = []
  const heapId: number[] = []
  const push = (use: number, id: number) => {
    let j = heapUse.length
    heapUse.push(use)
    heapId.push(id)
    while (j > 0) {
      const p = (j - 1) >> 1
      if (heapUse[p]! >= use) break
      heapUse[j] = heapUse[p]!
      heapId[j] = heapId[p]!
      j = p
    }
    heapUse[j] = use
    heapId[j] = id
  }
  const pop = () => {
    const use = heapUse.pop()!
    const id = heapId.pop()!
    const len = heapUse.length
    if (len === 0) return
    let j = 0
    for (;;) {
      let c = 2 * j + 1
      if (c >= len) break
      if (c + 1 < len && heapUse[c + 1]! > heapUse[c]!) c++
      if (heapUse[c]! <= use) break
      heapUse[j] = heapUse[c]!
      heapId[j] = heapId[c]!
      j = c
    }
    heapUse[j] = use
    heapId[j] = id
  }
  let hits = 0
  let blockHits = 0
  const blocks: number[] = []
  for (let i = 0; i < n; i++) {
    const id = ids[i]!
    const use = next[i]!
    if (held[id] !== -1) {
      hits++
      blockHits++
      held[id] = use
      push(use, id)
    } else if (use !== NEVER) {
      if (count < size) {
        count++
        held[id] = use
        push(use, id)
      } else {
        while (held[heapId[0]!] !== heapUse[0]) pop()
        if (heapUse[0]! > use) {
          held[heapId[0]!] = -1
          pop()
          held[id] = use
          push(use, id)
        }
      }
    }
    if (block > 0 && (i + 1) % block === 0) {
      blocks.push(blockHits / block)
      blockHits = 0
    }
  }
  return { ratio: n === 0 ? 0 : hits / n, blocks }
}
