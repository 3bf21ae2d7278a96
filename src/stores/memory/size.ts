/**
 * A size estimate of JavaScript values, for the memory tier's byte count. It
 * approximates V8 heap use (UTF-16 strings, 8-byte numbers, per-object header)
 * so `maxBytes` bounds what the process really holds, within a small factor.
 *
 * Binary views (Buffer, Uint8Array, DataView…) are weighed by what they keep
 * alive, not by their own length: a 10 KiB slice of a 256 KiB Buffer holds the
 * whole 256 KiB in memory, so it weighs 256 KiB. The exception is Node's shared
 * pool: small Buffers (`Buffer.from('…')`, `Buffer.allocUnsafe(n)` under 4 KiB)
 * are slices of one 8 KiB block that many of them share, so a view whose
 * backing store is at most {@link SHARED_POOL_BYTES} weighs its own length.
 * @module
 */

const OBJECT_OVERHEAD = 32
const ARRAY_OVERHEAD = 24
const STRING_OVERHEAD = 16
/**
 * Backing stores up to this size are weighed by the view's own length: Node's
 * Buffer pool (`Buffer.poolSize`, 8 KiB by default) is shared by many small
 * Buffers, so charging the whole block to each would count it many times.
 */
export const SHARED_POOL_BYTES = 8 * 1024

/**
 * The objects already weighed below the top one, reused across calls (a write
 * to the memory tier allocates none). The top object is not added: a flat
 * value, the common case, never touches the set; a cycle back to it counts it
 * once more, then stops.
 */
const shared = new Set<object>()
let busy = false

/**
 * Estimates the heap bytes a value holds, walking objects, arrays, Maps and Sets
 * (each shared object counted once; cycles are safe). Cost is linear in the
 * value's size, paid once per write to the memory tier. A binary view weighs
 * the backing store it keeps alive (see the module's note on Node's pool).
 *
 * @param value - any value
 * @returns the estimated size in bytes
 * @example estimateSize(big.subarray(0, 10_240)) // ≈ big.buffer.byteLength, what the slice retains
 */
export function estimateSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return STRING_OVERHEAD + value.length * 2
    case 'number':
      return 8
    case 'boolean':
    case 'undefined':
      return 4
    case 'bigint':
      return 16 + Math.ceil(value.toString(16).length / 2)
    case 'symbol':
    case 'function':
      return 32
  }
  if (value === null) return 4
  // A getter that weighs a value during a walk gets its own set.
  if (busy) return weigh(value as object, new Set())
  busy = true
  try {
    return weigh(value as object, shared)
  } finally {
    if (shared.size > 0) shared.clear()
    busy = false
  }
}

function walk(obj: object, seen: Set<object>): number {
  if (seen.has(obj)) return 8
  seen.add(obj)
  return weigh(obj, seen)
}

function weigh(obj: object, seen: Set<object>): number {
  let total = 0
  if (Array.isArray(obj)) {
    total = ARRAY_OVERHEAD + obj.length * 8
    for (let i = 0; i < obj.length; i++) total += sub(obj[i], seen)
    return total
  }
  // Plain objects first, with the fewest checks: they are what caches hold most.
  const proto = Object.getPrototypeOf(obj)
  if (proto !== Object.prototype && proto !== null) {
    if (ArrayBuffer.isView(obj)) return OBJECT_OVERHEAD + retained(obj, seen)
    if (obj instanceof ArrayBuffer) return OBJECT_OVERHEAD + obj.byteLength
    if (obj instanceof Date) return OBJECT_OVERHEAD
    if (obj instanceof Map) {
      total = OBJECT_OVERHEAD + obj.size * 24
      for (const [k, v] of obj) total += sub(k, seen) + sub(v, seen)
      return total
    }
    if (obj instanceof Set) {
      total = OBJECT_OVERHEAD + obj.size * 16
      for (const v of obj) total += sub(v, seen)
      return total
    }
  }
  total = OBJECT_OVERHEAD
  // No own-property check: a plain object enumerates only its own keys, and an
  // inherited enumerable one (rare) is counted too, which only overestimates.
  for (const key in obj) {
    total += 8 + STRING_OVERHEAD + key.length * 2 + sub((obj as Record<string, unknown>)[key], seen)
  }
  return total
}

/**
 * The bytes a view keeps alive: its whole backing store (once per value, however
 * many views of it the value holds), or its own length for a small shared store.
 */
function retained(view: ArrayBufferView, seen: Set<object>): number {
  const store = view.buffer
  if (store.byteLength <= SHARED_POOL_BYTES) return view.byteLength
  if (seen.has(store)) return 0
  seen.add(store)
  return store.byteLength
}

function sub(value: unknown, seen: Set<object>): number {
  return value !== null && typeof value === 'object' ? walk(value, seen) : estimateSize(value)
}
