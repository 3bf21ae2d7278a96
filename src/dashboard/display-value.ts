/**
 * A cached value as its user wrote it, for people and for `--json`: the
 * dashboard's key view and `cachestack get` print it. Not the storage form
 * (`toJsonSafe` tags what JSON cannot carry, `{"\u0000":"D","v":0}` for a
 * Date), which no one should have to decode by eye.
 * @module
 */

/** How many bytes of a binary value are shown (as hex) before the rest is elided. */
const BYTES_SHOWN = 32

/**
 * Converts a value to plain JSON data that reads as the value: a `Date` as its
 * ISO string, a `Map` as an object (or a list of `[key, value]` pairs when a
 * key is not a string), a `Set` as an array, a `bigint` as `"10n"`, bytes as
 * `"<5 bytes: 68656c6c6f>"`, `undefined`, `NaN` and `±Infinity` as their names,
 * a `RegExp` as its source. A cycle (which a cache cannot hold anyway) is
 * shown as `"[cycle]"`. Never throws.
 * @example
 * ```ts
 * displayValue({ at: new Date(0), tags: new Set(['a']) }) // { at: '1970-01-01T00:00:00.000Z', tags: ['a'] }
 * ```
 */
export function displayValue(value: unknown): unknown {
  return show(value, new Set())
}

function show(value: unknown, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) ? value : String(value)
    case 'bigint':
      return `${value}n`
    case 'undefined':
      return 'undefined'
    case 'function':
    case 'symbol':
      return `[${typeof value}]`
  }
  if (value === null) return null
  const obj = value as object
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  if (value instanceof RegExp) return String(value)
  if (value instanceof Uint8Array) {
    const hex = Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, BYTES_SHOWN)).toString('hex')
    return `<${value.byteLength} bytes: ${hex}${value.byteLength > BYTES_SHOWN ? '…' : ''}>`
  }
  if (seen.has(obj)) return '[cycle]'
  seen.add(obj)
  try {
    if (Array.isArray(value)) return value.map((v) => show(v, seen))
    if (value instanceof Set) return [...value].map((v) => show(v, seen))
    if (value instanceof Map) {
      const stringKeys = [...value.keys()].every((k) => typeof k === 'string')
      if (!stringKeys) return [...value].map(([k, v]) => [show(k, seen), show(v, seen)])
      // A null-prototype object: a key named `__proto__` stays a key.
      const out: Record<string, unknown> = Object.create(null)
      for (const [k, v] of value) out[k as string] = show(v, seen)
      return out
    }
    const out: Record<string, unknown> = Object.create(null)
    for (const k of Object.keys(obj)) out[k] = show((obj as Record<string, unknown>)[k], seen)
    return out
  } finally {
    seen.delete(obj)
  }
}
