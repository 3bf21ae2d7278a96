/**
 * The envelope: what every tier stores for one key. One format for all tiers;
 * the core owns it, stores only keep it (memory) or its bytes (the others).
 * @module
 */
import { CacheError } from './errors.js'
import type { Serializer } from './serializer.js'
import { atUserPath, fromJsonSafe, toJsonSafe } from './serializer.js'

/**
 * One cached entry with its timing and tags. Times are absolute milliseconds
 * from the cache's clock.
 */
export interface Envelope<T = unknown> {
  /** The cached value. */
  value: T
  /** When the value was written. */
  createdAt: number
  /** Until when the value is fresh (the TTL's end). `Infinity` for no TTL. */
  freshUntil: number
  /** Until when the value may be served stale (the grace's end); the tiers' own expiry. */
  staleUntil: number
  /**
   * Tag and namespace-version names the entry depends on, or `undefined`.
   * The entry is stale once any of their versions differs from `tagVersions`.
   */
  tags: readonly string[] | undefined
  /** The version of each of `tags` when the entry was written. */
  tagVersions: readonly number[] | undefined
  /** How long the load that produced the value took, in ms (for early refresh). 0 when set directly. */
  loadTime: number
  /** The full key, kept by tiers that hash keys (Memcached) so a collision is detected. */
  key?: string
}

const VERSION = 1

/**
 * Serializes an envelope with the given serializer. The default layout is a
 * small array: `[1, createdAt, freshUntil, staleUntil, tags, versions, loadTime, key, value]`,
 * with `null` for a time without end.
 * @throws CacheError `ERR_CACHE_SERIALIZE` when the value cannot be serialized
 */
export function encodeEnvelope(env: Envelope, serializer: Serializer): Uint8Array {
  try {
    return serializer.serialize([
      VERSION,
      env.createdAt,
      // JSON has no Infinity: null stands for "no end", so an entry of plain data needs no tagged values.
      env.freshUntil === Number.POSITIVE_INFINITY ? null : env.freshUntil,
      env.staleUntil === Number.POSITIVE_INFINITY ? null : env.staleUntil,
      env.tags ?? null,
      env.tagVersions ?? null,
      env.loadTime,
      env.key ?? null,
      env.value,
    ])
  } catch (err) {
    // The value sits at index 8 of the layout: name the user's path, not ours.
    throw atUserPath(err, 'value[8]')
  }
}

/**
 * The inverse of {@link encodeEnvelope}.
 * @throws CacheError `ERR_CACHE_DESERIALIZE` when the bytes are not an envelope
 */
export function decodeEnvelope(bytes: Uint8Array, serializer: Serializer): Envelope {
  const raw = serializer.deserialize(bytes)
  if (!Array.isArray(raw) || raw[0] !== VERSION || raw.length !== 9) {
    throw new CacheError('ERR_CACHE_DESERIALIZE', 'Stored bytes are not a cachestack envelope (version 1).')
  }
  const env: Envelope = {
    value: raw[8],
    createdAt: raw[1],
    freshUntil: raw[2] ?? Number.POSITIVE_INFINITY,
    staleUntil: raw[3] ?? Number.POSITIVE_INFINITY,
    tags: raw[4] ?? undefined,
    tagVersions: raw[5] ?? undefined,
    loadTime: raw[6],
  }
  if (raw[7] !== null) env.key = raw[7]
  return env
}

export { fromJsonSafe, toJsonSafe }
