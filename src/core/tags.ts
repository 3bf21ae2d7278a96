/**
 * Lazy, O(1) invalidation by version counters. Each tag (and each namespace)
 * has a counter; an entry records the counters of its tags when its load
 * began, and is stale once any counter has moved on. Nothing scans keys and
 * nothing compares wall clocks, so clock skew cannot resurrect an entry.
 * @module
 */
import type { Envelope } from './envelope.js'

/**
 * Where version counters live. The default keeps them in process memory; a
 * shared tier (Redis, SQLite) provides one so that every process sees every
 * invalidation.
 */
export interface TagVersionSource {
  /** The current version of `name` (0 for a name never bumped). Synchronous: read on every tagged hit. */
  get(name: string): number
  /** Moves each name's version on, so entries recorded before are stale. */
  bump(names: readonly string[]): void | Promise<void>
  /**
   * Another process moved these names on (heard over the bus): entries recorded
   * before must read as stale here too. The local source bumps its own counters.
   */
  changed?(names: readonly string[]): void
  /** The bus reconnected and may have missed changes: forget cached versions. */
  resync?(): void
}

/**
 * The in-process {@link TagVersionSource}. Versions start from a random base
 * per process, so entries written by an earlier run (in a persistent tier) with
 * tags are treated as stale rather than trusted against counters that were lost.
 */
export class LocalTagVersions implements TagVersionSource {
  #versions = new Map<string, number>()
  #base = Math.floor(Math.random() * 2 ** 30)

  get(name: string): number {
    return this.#versions.get(name) ?? this.#base
  }

  bump(names: readonly string[]): void {
    for (const name of names) this.#versions.set(name, this.get(name) + 1)
  }

  changed(names: readonly string[]): void {
    this.bump(names)
  }
}

/** @internal The versions of `names` now, in order. */
export function readVersions(source: TagVersionSource, names: readonly string[]): number[] {
  const out = new Array<number>(names.length)
  for (let i = 0; i < names.length; i++) out[i] = source.get(names[i]!)
  return out
}

/** @internal True when none of the entry's tags moved on since it was written. Allocates nothing. */
export function tagsCurrent(env: Envelope, source: TagVersionSource): boolean {
  const tags = env.tags
  if (tags === undefined) return true
  const versions = env.tagVersions!
  for (let i = 0; i < tags.length; i++) if (source.get(tags[i]!) !== versions[i]) return false
  return true
}

/** @internal The version name of a namespace (its full prefix). Never collides with a user tag. */
export function namespaceTag(prefix: string): string {
  return `\u0000ns:${prefix}`
}
