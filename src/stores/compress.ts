/**
 * Compression of stored bytes for the shared tiers (Redis, Memcached,
 * SQLite): a value at least `threshold` bytes long is compressed on write
 * (node:zlib, Brotli or gzip) when that makes it smaller, and marked with a
 * four-byte header; a read inflates marked bytes and passes others through.
 * So reading is transparent whatever a writer did: a process without
 * `compress` reads what one with it wrote, and turning compression on or off
 * never makes old entries unreadable.
 *
 * Compression runs on the calling thread (zlib's synchronous calls): a
 * round trip to a shared tier is already async, and the thread pool would add
 * latency to every small value. A value of a megabyte costs milliseconds; see
 * bench/compress.ts.
 * @module
 */
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib'
import { parseSize, type Size } from '../core/duration.js'
import { CacheError, invalidOption } from '../core/errors.js'
import type { MaybePromise, Store, StoreWrite, VersionedEntry } from '../core/store.js'

/** Options of a shared tier's `compress`. */
export interface CompressOptions {
  /**
   * Values shorter than this (serialized) are stored as they are: small values
   * gain little and would pay the codec's fixed cost.
   * @defaultValue `'1kb'`
   */
  threshold?: Size
  /**
   * - `'brotli'`: smaller output (about 10–20 % smaller than gzip on JSON), at
   *   quality `level` (0–11).
   * - `'gzip'`: faster to compress at equal size on some data; level 1–9.
   * Reads inflate either, whatever the option says.
   * @defaultValue `'brotli'`
   */
  algorithm?: 'brotli' | 'gzip'
  /**
   * The codec's level: Brotli quality 0–11, gzip 1–9. Higher is smaller and slower.
   * @defaultValue 4 for Brotli (near gzip's speed, smaller output), 6 for gzip
   */
  level?: number
}

/** The header of compressed bytes: NUL, "c", "s", then the codec ("b" Brotli, "g" gzip). */
const MAGIC_0 = 0x00
const MAGIC_1 = 0x63
const MAGIC_2 = 0x73
const BROTLI = 0x62
const GZIP = 0x67
const HEADER = 4

/** Whether `bytes` carry the compressed header. */
export function isCompressed(bytes: Uint8Array): boolean {
  return (
    bytes.byteLength > HEADER &&
    bytes[0] === MAGIC_0 &&
    bytes[1] === MAGIC_1 &&
    bytes[2] === MAGIC_2 &&
    (bytes[3] === BROTLI || bytes[3] === GZIP)
  )
}

/** The original bytes of a stored value: inflated when compressed, else the value itself. */
export function inflate(bytes: Uint8Array): Uint8Array {
  if (!isCompressed(bytes)) return bytes
  const body = bytes.subarray(HEADER)
  try {
    return bytes[3] === BROTLI ? brotliDecompressSync(body) : gunzipSync(body)
  } catch (cause) {
    throw new CacheError('ERR_CACHE_DESERIALIZE', 'Stored bytes marked as compressed do not inflate.', { cause })
  }
}

/** A compressor for the given options: bytes in, stored bytes out (marked when compressed and smaller). */
export function compressor(options: CompressOptions | true): (bytes: Uint8Array) => Uint8Array {
  const o = options === true ? {} : options
  if (o === null || typeof o !== 'object') throw invalidOption('compress', 'true or { threshold, algorithm, level }', o)
  const threshold = parseSize(o.threshold ?? 1024, 'compress.threshold')
  const algorithm = o.algorithm ?? 'brotli'
  if (algorithm !== 'brotli' && algorithm !== 'gzip') {
    throw invalidOption('compress.algorithm', "'brotli' or 'gzip'", algorithm)
  }
  const [min, max, fallback] = algorithm === 'brotli' ? [0, 11, 4] : [1, 9, 6]
  const level = o.level ?? fallback
  if (!Number.isInteger(level) || level < min || level > max) {
    throw invalidOption('compress.level', `an integer from ${min} to ${max} for ${algorithm}`, level)
  }
  const brotliParams = {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: level,
      // JSON is text: the hint helps Brotli's context model a little, at no cost.
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  }
  const codec = algorithm === 'brotli' ? BROTLI : GZIP
  return function compress(bytes: Uint8Array): Uint8Array {
    if (bytes.byteLength < threshold) return bytes
    const body = algorithm === 'brotli' ? brotliCompressSync(bytes, brotliParams) : gzipSync(bytes, { level })
    // Incompressible data (already compressed images, random bytes) is stored as it is.
    if (body.byteLength + HEADER >= bytes.byteLength) return bytes
    const out = Buffer.allocUnsafe(HEADER + body.byteLength)
    out[0] = MAGIC_0
    out[1] = MAGIC_1
    out[2] = MAGIC_2
    out[3] = codec
    body.copy(out, HEADER)
    return out
  }
}

function then<T, R>(value: MaybePromise<T>, fn: (v: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value as T)
}

/**
 * Wraps a byte store so values are compressed on write (with `options`) and
 * inflated on read (always: reading is transparent whatever wrote the value).
 * A store that answers synchronously (SQLite) still does.
 * @internal used by {@link guardStore}
 */
export function compressing(store: Store<Uint8Array>, options: CompressOptions | true | undefined): Store<Uint8Array> {
  const pack = options === undefined ? (b: Uint8Array) => b : compressor(options)
  const out = (v: Uint8Array | undefined) => (v === undefined ? undefined : inflate(v))
  const s = store
  // Every other method is the store's own, bound: stores keep private fields.
  const wrapped: Store<Uint8Array> = {
    name: s.name,
    binary: s.binary,
    get: (key) => then(s.get(key), out),
    set: (key, value, expiresAt, tags) => s.set(key, pack(value), expiresAt, tags),
    delete: s.delete.bind(s),
    clear: s.clear.bind(s),
  }
  const w = wrapped as unknown as Record<string, unknown>
  for (const name of ['init', 'deleteMany', 'size', 'close', 'lock', 'health', 'connecting'] as const) {
    const fn = s[name]
    if (typeof fn === 'function') w[name] = fn.bind(s)
  }
  if (s.versions !== undefined) w.versions = s.versions
  if (s.strict !== undefined) w.strict = s.strict
  if (s.getMany !== undefined) {
    wrapped.getMany = (keys) => then(s.getMany!(keys), (values) => values.map(out))
  }
  if (s.setMany !== undefined) {
    wrapped.setMany = (entries: readonly StoreWrite<Uint8Array>[]) =>
      s.setMany!(entries.map((e) => ({ ...e, value: pack(e.value) })))
  }
  if (s.compareAndSet !== undefined) {
    // The stored form of `expected` is made again: zlib is deterministic for equal input and settings.
    wrapped.compareAndSet = (key, expected, value, expiresAt, tags) =>
      s.compareAndSet!(key, pack(expected), pack(value), expiresAt, tags)
  }
  if (s.getWithVersions !== undefined) {
    wrapped.getWithVersions = (key) =>
      then(s.getWithVersions!(key), (e: VersionedEntry<Uint8Array> | undefined) =>
        e === undefined ? undefined : { value: inflate(e.value), versions: e.versions },
      )
  }
  return wrapped
}
