/**
 * How the memory tier hands out values: shared references (the default, as
 * lru-cache and a Map do), independent copies, or frozen values. The modes
 * other than `'shared'` are subclasses chosen by {@link memoryStore} at
 * construction, so the default store pays nothing for them on a hit.
 *
 * Why copies are made through the serializer's JSON-safe form rather than
 * `structuredClone`: a copy then is exactly what a byte tier (SQLite, Redis,
 * Memcached) returns, so with `'clone'` every tier answers the same shape: a
 * class instance comes back as a plain object from memory too, a Buffer as a
 * Buffer, `undefined` inside objects kept.
 * @module
 */
import type { Envelope } from '../../core/envelope.js'
import { fromJsonSafe, toJsonSafe } from '../../core/serializer.js'
import { MemoryStore } from './memory-store.js'

/**
 * How the memory tier hands out values.
 * - `'shared'`: the value stored is the value returned, to every reader: no
 *   copy, no cost; a reader that mutates it changes it for the next reader, and
 *   a class instance stays an instance in the process that wrote it (byte tiers
 *   always return plain data).
 * - `'clone'`: a copy is stored on write and a copy returned on every read, made
 *   as a byte tier would return it: no reader sees another's mutation, and every
 *   tier answers the same shape (class instances as plain objects). Costs a
 *   deep copy per write and per hit.
 * - `'freeze'`: values are deep-frozen on write (the object you passed included),
 *   so a mutation throws a `TypeError` in strict-mode code (every ES module) and is
 *   ignored elsewhere. For development: it finds the code that mutates cached
 *   values. Costs a walk per write, nothing per hit. Binary views, and the
 *   contents of Maps and Sets, cannot be frozen and stay mutable.
 */
export type MemoryValues = 'shared' | 'clone' | 'freeze'

/** A deep copy, as a byte tier would return the value. */
export function cloneValue(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? fromJsonSafe(toJsonSafe(value)) : value
}

/** The envelope with a copy of its value. */
function withCopy(env: Envelope): Envelope {
  return { ...env, value: cloneValue(env.value) }
}

/** The memory tier in `'clone'` mode: a copy in, a copy out. */
export class CloningMemoryStore extends MemoryStore {
  override get(key: string): Envelope | undefined {
    const env = super.get(key)
    return env === undefined ? undefined : withCopy(env)
  }

  override peek(key: string): Envelope | undefined {
    const env = super.peek(key)
    return env === undefined ? undefined : withCopy(env)
  }

  /** @throws CacheError `ERR_CACHE_SERIALIZE` when the value holds what a byte tier could not store either */
  override set(key: string, value: Envelope, expiresAt: number): void {
    super.set(key, withCopy(value), expiresAt)
  }
}

/** The memory tier in `'freeze'` mode: values deep-frozen on write. */
export class FreezingMemoryStore extends MemoryStore {
  override set(key: string, value: Envelope, expiresAt: number): void {
    deepFreeze(value.value)
    super.set(key, value, expiresAt)
  }
}

/** Freezes `value` and everything reachable from it (once each; cycles are safe). */
export function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return
  // A typed array with elements cannot be frozen (TypeError); an ArrayBuffer has no properties to freeze.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return
  Object.freeze(value)
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k)
      deepFreeze(v)
    }
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v)
  }
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
}
