/**
 * Next.js cache keys as cachestack keys. 'use cache' keys carry the
 * serialized arguments of the cached function and can be long; cachestack
 * bounds key length, so a long key is replaced by its SHA-256 (a collision
 * is as likely as one of SHA-256 itself).
 * @module
 */
import { createHash } from 'node:crypto'

/** Keys up to this length are used as they are. */
const MAX_PLAIN = 200

/** @internal The cachestack key for a Next.js cache key. */
export function nextKey(key: string): string {
  if (key.length <= MAX_PLAIN) return key
  return `sha256:${createHash('sha256').update(key).digest('base64url')}`
}

/** Seconds as a TTL in ms, bounded to a year (Next.js uses 0xfffffffe s for "forever"). */
export function secondsTtl(seconds: number | undefined, fallback: number): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return fallback
  return Math.min(seconds * 1000, 365 * 24 * 3600 * 1000)
}
