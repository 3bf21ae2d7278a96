/**
 * Counters per namespace. The hit path increments one field of one
 * preallocated object; totals are summed only when `stats()` is called.
 * @module
 */

import type { BusStats } from '../tiers/bus.js'
import type { VersionsHealth } from './shared-tag-versions.js'
import type { StoreHealth } from './store.js'

/** The counters kept for the whole cache and for each namespace. */
export interface CacheCounters {
  /** Fresh values served. */
  hits: number
  /** Reads that found no fresh value. */
  misses: number
  /** Stale values served (within grace) because the loader failed or timed out. */
  staleHits: number
  /** Loader runs that completed. */
  loads: number
  /** Loader runs that failed. */
  loadErrors: number
  /** Entries a tier dropped for capacity (or because one was larger than the whole budget). */
  evictions: number
  /** Entries a tier dropped because they expired. */
  expirations: number
  /** Writes (set, setMany, touch, loads stored). */
  sets: number
  /** Deletes. */
  deletes: number
  /**
   * Hits served by each tier below the first, by tier index (`[1]` is the second tier).
   * Index 0 is left out here so the first tier's hit path stays one increment;
   * {@link CounterSnapshot.tierHits} fills it in.
   */
  lowerTierHits: number[]
}

/** Counters with the derived hit ratio, `hits / (hits + misses)` (0 before the first read). */
export interface CounterSnapshot extends CacheCounters {
  hitRatio: number
  /** Hits by tier index, the first tier included (`hits` minus the lower tiers' hits). */
  tierHits: number[]
}

/** What {@link Cache.stats} returns: totals, per-namespace counters, and tier errors. */
export interface CacheStats extends CounterSnapshot {
  /** Per namespace, by its full name (`'users'`, `'users:admins'`); the root cache is `''`. */
  namespaces: Record<string, CounterSnapshot>
  /** Operations a tier failed (and the cache skipped), by tier name. */
  tierErrors: Record<string, number>
  /**
   * Circuit state and counters of each guarded tier (Redis, Memcached, SQLite),
   * by tier name: `skipped` counts calls not made because its circuit was open.
   */
  tierHealth: Record<string, StoreHealth>
  /** Loads in flight now. */
  inflight: number
  /** The invalidation bus's counters, when the cache has a bus. */
  bus?: BusStats
  /**
   * The shared tag versions' state, when a tier holds them: `offline` while that
   * tier cannot be reached (versions are this process's own), invalidations
   * waiting to reach it, and names held in the local copy.
   */
  versions?: VersionsHealth
}

/** @internal */
export function newCounters(): CacheCounters {
  return {
    hits: 0,
    misses: 0,
    staleHits: 0,
    loads: 0,
    loadErrors: 0,
    evictions: 0,
    expirations: 0,
    sets: 0,
    deletes: 0,
    lowerTierHits: [],
  }
}

/** @internal */
export function snapshot(c: CacheCounters): CounterSnapshot {
  const reads = c.hits + c.misses
  const tierHits = [c.hits]
  for (let i = 1; i < c.lowerTierHits.length; i++) {
    const n = c.lowerTierHits[i] ?? 0
    tierHits[i] = n
    tierHits[0]! -= n
  }
  return { ...c, lowerTierHits: [...c.lowerTierHits], hitRatio: reads === 0 ? 0 : c.hits / reads, tierHits }
}

/** @internal sums counters into `into` */
export function addCounters(into: CacheCounters, c: CacheCounters): void {
  into.hits += c.hits
  into.misses += c.misses
  into.staleHits += c.staleHits
  into.loads += c.loads
  into.loadErrors += c.loadErrors
  into.evictions += c.evictions
  into.expirations += c.expirations
  into.sets += c.sets
  into.deletes += c.deletes
  for (let i = 1; i < c.lowerTierHits.length; i++) {
    into.lowerTierHits[i] = (into.lowerTierHits[i] ?? 0) + (c.lowerTierHits[i] ?? 0)
  }
}
