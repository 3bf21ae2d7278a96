/**
 * Looking a key up in every tier for the dashboard (and the CLI): where it is,
 * whether it is fresh or stale, its type and size, its tags, never its value
 * unless asked. Reads tiers directly, so a lookup counts neither a hit nor a
 * miss and does not promote the entry.
 * @module
 */
import type { Cache } from '../core/cache.js'
import { decodeEnvelope, type Envelope } from '../core/envelope.js'
import { defaultSerializer, type Serializer } from '../core/serializer.js'
import { estimateSize } from '../stores/memory/size.js'
import { displayValue } from './display-value.js'

/** What one tier holds under a key. */
export interface TierEntry {
  tier: string
  found: boolean
  /**
   * `'fresh'` until its TTL, `'stale'` within grace: past its TTL, or
   * invalidated (see {@link TierEntry.invalidated}). A stale entry is served
   * only when the source fails.
   */
  state?: 'fresh' | 'stale'
  /**
   * Set when the entry was invalidated: the tags that moved on since it was
   * written (`'(namespace cleared)'` for a cleared namespace). Known where a
   * tier keeps shared tag versions (SQLite, Redis); a memory-only cache keeps
   * its versions inside the process, out of reach here.
   */
  invalidated?: string[]
  /** A description of the value's type: `'object (3 keys)'`, `'string (12 chars)'`. */
  type?: string
  /** Stored bytes for a byte tier; the estimated heap size for the memory tier. */
  bytes?: number
  createdAt?: number
  freshUntil?: number
  staleUntil?: number
  /** Its age: how long ago it was written, ms. */
  ageMs?: number
  /** Its TTL as written: fresh for this long after `createdAt`, ms (`null` in JSON for no TTL). */
  ttlMs?: number
  /** Its grace: servable this long after its TTL if the source fails, ms. */
  graceMs?: number
  /** The entry's tags, namespace versions left out. */
  tags?: string[]
  /**
   * The version of each tag (and namespace, `(namespace)`) the entry recorded
   * when written, and the current shared one where a tier keeps them: a
   * difference is an invalidation.
   */
  versions?: { tag: string; recorded: number; current?: number }[]
  /** The value as its user wrote it (see {@link displayValue}), only when the dashboard is configured with `showValues`. */
  value?: unknown
  /** Why the tier could not be read or decoded. */
  error?: string
}

/** The result of a lookup. */
export interface KeyLookup {
  key: string
  tiers: TierEntry[]
}

/** Describes a value's type and shape without showing it. */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `array (${value.length} items)`
  if (typeof value === 'string') return `string (${value.length} chars)`
  if (value instanceof Uint8Array) return `bytes (${value.byteLength})`
  if (value instanceof Map) return `Map (${value.size} entries)`
  if (value instanceof Set) return `Set (${value.size} items)`
  if (value instanceof Date) return 'Date'
  if (typeof value === 'object') {
    const ctor = (value as object).constructor
    const kind = ctor === undefined || ctor === Object ? 'object' : ctor.name
    return `${kind} (${Object.keys(value as object).length} keys)`
  }
  return typeof value
}

/**
 * Reads `key` (the full key, namespace included: `users:42`) from each tier.
 * @param showValues - include the value (JSON-safe form); off by default, so a lookup does not leak data
 */
export async function inspectKey(
  cache: Cache,
  key: string,
  now: number,
  showValues: boolean,
  serializer: Serializer = defaultSerializer,
): Promise<KeyLookup> {
  const tiers: TierEntry[] = []
  // The lowest tier with shared versions is the one the cache checks tags against.
  const versions = cache.tiers.findLast((t) => t.versions !== undefined)?.versions
  for (const tier of cache.tiers) {
    const out: TierEntry = { tier: tier.name, found: false }
    tiers.push(out)
    let env: Envelope | undefined
    try {
      const peek = (tier as { peek?: (k: string) => Envelope | undefined }).peek
      const raw = typeof peek === 'function' ? peek.call(tier, key) : await tier.get(key)
      if (raw === undefined) continue
      if (tier.binary) {
        out.bytes = (raw as Uint8Array).byteLength
        env = decodeEnvelope(raw as Uint8Array, serializer)
      } else {
        env = raw as Envelope
        out.bytes = estimateSize(env.value)
      }
    } catch (error) {
      out.error = error instanceof Error ? error.message : String(error)
      continue
    }
    if (env.staleUntil <= now) continue
    out.found = true
    const current = env.tags === undefined || versions === undefined ? undefined : await readCurrent(versions, env.tags)
    const invalidated = invalidatedTags(env, current)
    out.state = env.freshUntil > now && invalidated === undefined ? 'fresh' : 'stale'
    if (invalidated !== undefined) out.invalidated = invalidated
    out.ageMs = Math.max(0, now - env.createdAt)
    out.ttlMs = env.freshUntil - env.createdAt
    out.graceMs = env.staleUntil - env.freshUntil
    if (env.tags !== undefined && env.tagVersions !== undefined) {
      out.versions = env.tags.map((tag, i) => {
        const v: { tag: string; recorded: number; current?: number } = {
          tag: tagName(tag),
          recorded: env.tagVersions![i]!,
        }
        if (current?.[i] !== undefined) v.current = current[i]
        return v
      })
    }
    out.type = describeType(env.value)
    out.createdAt = env.createdAt
    out.freshUntil = env.freshUntil
    out.staleUntil = env.staleUntil
    const tags = env.tags?.filter((t) => !t.startsWith('\u0000'))
    if (tags !== undefined && tags.length > 0) out.tags = tags
    if (showValues) {
      out.value = displayValue(env.value)
    }
  }
  return { key, tiers }
}

/** The shared versions of `tags`, or `undefined` when the tier cannot be read. */
async function readCurrent(
  versions: { read(names: readonly string[]): number[] | Promise<number[]> },
  tags: readonly string[],
): Promise<readonly number[] | undefined> {
  try {
    return await versions.read(tags)
  } catch {
    return undefined
  }
}

/** A tag as people read it: namespace versions are internal names. */
function tagName(tag: string): string {
  return tag.startsWith('\u0000') ? '(namespace)' : tag
}

/** The entry's tags whose shared version moved on since it was written, or `undefined` when none did. */
function invalidatedTags(env: Envelope, current: readonly number[] | undefined): string[] | undefined {
  const tags = env.tags
  if (tags === undefined || current === undefined || env.tagVersions === undefined) return undefined
  const moved: string[] = []
  for (let i = 0; i < tags.length; i++) {
    if (current[i] === env.tagVersions[i]) continue
    const name = tags[i]!.startsWith('\u0000') ? '(namespace cleared)' : tags[i]!
    if (!moved.includes(name)) moved.push(name)
  }
  return moved.length === 0 ? undefined : moved
}
