/**
 * Serialization for tiers that store bytes (SQLite, Redis, Memcached). The
 * default is JSON with tagged values for what JSON cannot carry, so every tier
 * reads what every other wrote, in any language that can parse JSON.
 * @module
 */
import { CacheError } from './errors.js'

/** Turns values into bytes and back. Tiers that store bytes use it for whole envelopes. */
export interface Serializer {
  /**
   * @throws CacheError `ERR_CACHE_SERIALIZE` when the value cannot be represented
   */
  serialize(value: unknown): Uint8Array
  /**
   * @throws CacheError `ERR_CACHE_DESERIALIZE` when the bytes were not written by this serializer
   */
  deserialize(bytes: Uint8Array): unknown
}

// A tagged value is an object whose only tag key is TAG: {"\u0000": kind, "v": payload}.
// A user object that itself has a TAG key is wrapped as kind "o", so nothing is ambiguous.
const TAG = '\u0000'
/** How JSON writes {@link TAG}: every tagged value's text contains it. */
const TAG_IN_JSON = JSON.stringify(TAG).slice(1, -1)
const decoder = new TextDecoder('utf-8', { fatal: true })

type Tagged = { [TAG]: string; v?: unknown }

function tagged(kind: string, v?: unknown): Tagged {
  return v === undefined ? { [TAG]: kind } : { [TAG]: kind, v }
}

/** Sets an own property, even one named `__proto__` (plain assignment would set the prototype instead). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}

/** What could not be serialized and where, for each error `fail` throws (see {@link atUserPath}). */
const failures = new WeakMap<CacheError, { what: string; path: string }>()

function serializeError(what: string, path: string): CacheError {
  const err = new CacheError(
    'ERR_CACHE_SERIALIZE',
    `Cannot serialize ${what} at ${path}: store plain data (objects, arrays, primitives, Date, Map, Set, BigInt, bytes) or pass a custom serializer.`,
  )
  failures.set(err, { what, path })
  return err
}

function fail(path: string, what: string): never {
  throw serializeError(what, path)
}

/**
 * The error of serializing a document that holds the user's value at `inner`
 * (such as `value[8]`, the envelope's slot), renamed so its path starts at the
 * user's value (`value.self`, not `value[8].self`). Other errors pass unchanged.
 * @internal
 */
export function atUserPath(err: unknown, inner: string): unknown {
  const failure = err instanceof CacheError ? failures.get(err) : undefined
  if (failure === undefined || !failure.path.startsWith(inner)) return err
  return serializeError(failure.what, `value${failure.path.slice(inner.length)}`)
}

function encode(value: unknown, path: string, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? tagged('-0') : value
      return tagged(Number.isNaN(value) ? 'NaN' : value > 0 ? 'Inf' : '-Inf')
    case 'undefined':
      return tagged('u')
    case 'bigint':
      return tagged('n', value.toString())
    case 'function':
      return fail(path, 'a function')
    case 'symbol':
      return fail(path, 'a symbol')
  }
  if (value === null) return null
  const obj = value as object
  if (seen.has(obj)) fail(path, 'a cycle (an object that contains itself)')
  seen.add(obj)
  try {
    if (Array.isArray(obj)) {
      const out = new Array<unknown>(obj.length)
      for (let i = 0; i < obj.length; i++) out[i] = encode(obj[i], `${path}[${i}]`, seen)
      return out
    }
    if (obj instanceof Date) return tagged('D', Number.isNaN(obj.getTime()) ? null : obj.getTime())
    if (obj instanceof Map) {
      const out: unknown[] = []
      let i = 0
      for (const [k, v] of obj) {
        out.push([encode(k, `${path}<key ${i}>`, seen), encode(v, `${path}<value ${i}>`, seen)])
        i++
      }
      return tagged('M', out)
    }
    if (obj instanceof Set) {
      const out: unknown[] = []
      let i = 0
      for (const v of obj) out.push(encode(v, `${path}<item ${i++}>`, seen))
      return tagged('S', out)
    }
    if (obj instanceof Uint8Array) {
      const b64 = Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64')
      return tagged(Buffer.isBuffer(obj) ? 'B' : 'U', b64)
    }
    if (obj instanceof RegExp) return tagged('R', [obj.source, obj.flags])
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) fail(path, `a ${obj.constructor.name}`)
    if (obj instanceof Promise) fail(path, 'a Promise (await it first)')
    if (obj instanceof WeakMap || obj instanceof WeakSet) fail(path, `a ${obj.constructor.name}`)
    const out: Record<string, unknown> = {}
    let escaped = false
    for (const key of Object.keys(obj)) {
      if (key === TAG) escaped = true
      setOwn(out, key, encode((obj as Record<string, unknown>)[key], `${path}.${key}`, seen))
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) fail(path, 'an object with symbol keys')
    return escaped ? tagged('o', out) : out
  } finally {
    seen.delete(obj)
  }
}

function decode(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decode(value[i])
    return value
  }
  const obj = value as Record<string, unknown>
  const kind = obj[TAG]
  if (typeof kind === 'string') {
    const v = obj.v
    switch (kind) {
      case 'u':
        return undefined
      case '-0':
        return -0
      case 'NaN':
        return Number.NaN
      case 'Inf':
        return Number.POSITIVE_INFINITY
      case '-Inf':
        return Number.NEGATIVE_INFINITY
      case 'n':
        return BigInt(v as string)
      case 'D':
        return new Date(v === null ? Number.NaN : (v as number))
      case 'M':
        return new Map((v as [unknown, unknown][]).map(([k, x]) => [decode(k), decode(x)]))
      case 'S':
        return new Set((v as unknown[]).map(decode))
      case 'B':
        return Buffer.from(v as string, 'base64')
      case 'U': {
        const buf = Buffer.from(v as string, 'base64')
        return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
      }
      case 'R':
        return new RegExp((v as string[])[0] as string, (v as string[])[1])
      case 'o':
        return decodeObject(v as Record<string, unknown>)
      default:
        throw new CacheError('ERR_CACHE_DESERIALIZE', `Unknown tagged value "${kind}" in stored bytes.`)
    }
  }
  return decodeObject(obj)
}

function decodeObject(obj: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(obj)) setOwn(obj, key, decode(obj[key]))
  return obj
}

/**
 * True when `JSON.stringify(value)` already writes exactly what `encode` would:
 * strings, finite numbers (not -0), booleans, null, arrays without holes or
 * `undefined`, and plain objects (prototype Object or null, no tag key, no
 * symbol keys) of those. Checking allocates nothing; the common value of
 * plain data then skips building a tagged copy. Deep or odd values take the
 * full path, which also reports cycles and what cannot be stored.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    case 'object':
      break
    default:
      return false
  }
  if (value === null) return true
  if (depth > 32) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false
    return true
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  for (const key in value) {
    if (key === TAG || !Object.hasOwn(value, key)) return false
    if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false
  }
  return Object.getOwnPropertySymbols(value).length === 0
}

/**
 * Converts a value to a JSON-safe structure (tagging what JSON cannot carry).
 * Exposed for stores that embed values in a larger JSON document.
 * @throws CacheError `ERR_CACHE_SERIALIZE` for functions, symbols and cycles
 */
export function toJsonSafe(value: unknown): unknown {
  return encode(value, 'value', new Set())
}

/** The inverse of {@link toJsonSafe}. The input is consumed (decoded in place). */
export function fromJsonSafe(value: unknown): unknown {
  return decode(value)
}

/**
 * The default {@link Serializer}: UTF-8 JSON that round-trips Date, Map, Set,
 * BigInt, Uint8Array and Buffer, RegExp, `undefined` (also inside objects and
 * arrays), NaN, ±Infinity and -0. It refuses functions, symbols and cycles
 * with `ERR_CACHE_SERIALIZE`, naming where in the value the problem is.
 * Class instances are stored as plain objects (their prototype is not kept).
 */
export const defaultSerializer: Serializer = {
  serialize(value: unknown): Uint8Array {
    // Buffer.from takes small strings from Node's shared pool: cheaper than a new ArrayBuffer per value.
    return Buffer.from(JSON.stringify(isPlainJson(value, 0) ? value : encode(value, 'value', new Set())), 'utf8')
  },
  deserialize(bytes: Uint8Array): unknown {
    let parsed: unknown
    let text: string
    try {
      text = decoder.decode(bytes)
      parsed = JSON.parse(text)
    } catch (cause) {
      throw new CacheError('ERR_CACHE_DESERIALIZE', 'Stored bytes are not valid JSON written by defaultSerializer.', {
        cause,
      })
    }
    // Every tagged value carries the key "\u0000", which JSON writes as that
    // six-character escape: without it in the text, the parse is the value and
    // the walk that revives tagged values would find nothing (a cache hit of
    // plain data skips it).
    return text.includes(TAG_IN_JSON) ? decode(parsed) : parsed
  },
}
