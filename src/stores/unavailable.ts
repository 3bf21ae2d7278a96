/**
 * The error a data-grid store (Hazelcast, Ignite) turns a failed call into:
 * `ERR_CACHE_UNAVAILABLE` naming the grid, the operation, the store and where
 * it connects, with the client's error as `cause`. A `CacheError` already
 * (a closed store, a bad option) passes through as it is.
 * @module
 */
import { CacheError } from '../core/errors.js'

/** Where a store's failures are reported from: its grid, its name and its connection's target. */
export interface FailureSource {
  /** The grid, as a message names it (`'Hazelcast'`, `'Ignite'`). */
  readonly grid: string
  /** The store's name. */
  readonly name: string
  /** Where the store connects, as a message names it. */
  readonly target: string
}

/** `error` as the `CacheError` a store's caller gets for `operation`. */
export function unavailable(source: FailureSource, operation: string, error: unknown): CacheError {
  if (error instanceof CacheError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new CacheError(
    'ERR_CACHE_UNAVAILABLE',
    `${source.grid} ${operation} failed (${source.name}, ${source.target}): ${message}`,
    { cause: error },
  )
}

/** A rejection handler that throws what {@link unavailable} makes of the error. */
export function failWith(source: FailureSource, operation: string): (error: unknown) => never {
  return (error) => {
    throw unavailable(source, operation, error)
  }
}
