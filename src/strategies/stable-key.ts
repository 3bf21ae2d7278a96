/**
 * Stable cache keys from function arguments. Equal arguments give equal keys
 * whatever the order of object keys; different types never collide (`1` and
 * `'1'` differ); functions, symbols, cycles and class instances are refused.
 *
 * The common case (one primitive argument) is answered without allocating:
 * a string is its own key, a small integer's key comes from a table.
 * @module
 */
import { createHash } from 'node:crypto'
import { CacheError } from '../core/errors.js'

/** Every key that is not a plain string starts with this character, so it cannot collide with one. */
const MARK = '\u0001'
/** Keys longer than this are hashed (the cache's default key limit is 1024 characters). */
const MAX_PLAIN = 256
const SMALL_INTS = 1 << 16
const intKeys: string[] = []

/** The key of no arguments. */
export const NO_ARGS_KEY = `${MARK}()`

/**
 * The key of one primitive argument without allocating, or `undefined` when
 * the argument needs {@link argsKey} (objects, long strings, rare primitives).
 * @internal
 */
export function primitiveKey(a: unknown): string | undefined {
  if (typeof a === 'string') {
    // A plain string is its own key unless it could be mistaken for an encoded one.
    return a.length > 0 && a.length <= MAX_PLAIN && a.charCodeAt(0) !== 1 ? a : undefined
  }
  if (typeof a === 'number' && a >= 0 && a < SMALL_INTS && (a | 0) === a) {
    const k = intKeys[a]
    if (k !== undefined) return k
    return (intKeys[a] = `${MARK}n${a}`)
  }
  return undefined
}

/**
 * The stable key of an argument list.
 * @throws CacheError `ERR_CACHE_UNKEYABLE` for functions, symbols, cycles and class instances
 */
export function argsKey(args: ArrayLike<unknown>): string {
  if (args.length === 0) return NO_ARGS_KEY
  if (args.length === 1) {
    const k = primitiveKey(args[0])
    if (k !== undefined) return k
  }
  const parts: string[] = []
  const seen = new Set<object>()
  for (let i = 0; i < args.length; i++) parts.push(encode(args[i], seen, `argument ${i + 1}`))
  const key = `${MARK}${args.length === 1 ? parts[0]! : `(${parts.join(',')})`}`
  return key.length <= MAX_PLAIN ? key : `${MARK}#${createHash('sha256').update(key).digest('base64url')}`
}

function encode(v: unknown, seen: Set<object>, path: string): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v)
    case 'number':
      return `n${Object.is(v, -0) ? 0 : v}`
    case 'bigint':
      return `${v}n`
    case 'boolean':
      return v ? 'true' : 'false'
    case 'undefined':
      return 'undefined'
    case 'function':
    case 'symbol':
      throw unkeyable(path, `is a ${typeof v}`)
  }
  if (v === null) return 'null'
  const obj = v as object
  if (seen.has(obj)) throw unkeyable(path, 'is part of a cycle')
  seen.add(obj)
  try {
    if (Array.isArray(obj)) return `[${obj.map((x, i) => encode(x, seen, `${path}[${i}]`)).join(',')}]`
    if (obj instanceof Date) return `D${obj.getTime()}`
    if (obj instanceof Map) {
      const entries = [...obj].map(([k, x]) => `${encode(k, seen, `${path} key`)}=>${encode(x, seen, `${path} value`)}`)
      return `M{${entries.sort().join(',')}}`
    }
    if (obj instanceof Set)
      return `S{${[...obj]
        .map((x) => encode(x, seen, `${path} member`))
        .sort()
        .join(',')}}`
    if (obj instanceof RegExp) return `R${obj.toString()}`
    if (ArrayBuffer.isView(obj)) {
      const bytes = new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength)
      return `B${obj.constructor.name}:${Buffer.from(bytes).toString('base64')}`
    }
    const proto = Object.getPrototypeOf(obj)
    if (proto !== Object.prototype && proto !== null) {
      const toJSON = (obj as { toJSON?: unknown }).toJSON
      if (typeof toJSON === 'function') return `J${encode(toJSON.call(obj), seen, path)}`
      throw unkeyable(path, `is an instance of ${proto?.constructor?.name ?? 'a class'}`)
    }
    const keys = Object.keys(obj).sort()
    const record = obj as Record<string, unknown>
    return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(record[k], seen, `${path}.${k}`)}`).join(',')}}`
  } finally {
    seen.delete(obj)
  }
}

function unkeyable(path: string, why: string): CacheError {
  return new CacheError(
    'ERR_CACHE_UNKEYABLE',
    `Cannot build a cache key: ${path} ${why}. Pass a \`key\` option that maps the arguments to a string.`,
  )
}
