/**
 * The tiers behind a cache, fastest first, and the one wrapper around every
 * tier call: a tier that throws or rejects is skipped, counted and reported
 * (fail-open), unless the cache is strict.
 * @module
 */
import { decodeEnvelope, type Envelope, encodeEnvelope } from './envelope.js'
import { CacheError, isCacheError } from './errors.js'
import type { Emitter } from './events.js'
import type { Serializer } from './serializer.js'
import type { SharedTagVersions } from './shared-tag-versions.js'
import type { MaybePromise, Store, SyncStore, VersionedEntry } from './store.js'
import { TierRepair } from './tier-repair.js'

/** @internal An envelope found in a tier, and the tier's index. */
export interface Found {
  env: Envelope
  tier: number
}

/**
 * @internal Decides whether an entry may be served fresh. `current`, when given,
 * holds the exact shared versions of `env.tags` (read with the entry).
 */
export type Usable = (env: Envelope, current: readonly number[] | undefined) => boolean

/** @internal */
export class TierStack {
  readonly tiers: readonly Store[]
  /** The first tier when it answers synchronously (memory); the hit path reads it without a promise. */
  readonly sync: SyncStore | undefined
  readonly hasBinary: boolean
  readonly errors: Record<string, number> = {}
  /** The index of the tier whose shared versions the cache uses, or -1. */
  readonly versionsTier: number
  /** The index of the lowest tier that offers `compareAndSet` (the one `touch` compares against), or -1. */
  readonly casTier: number
  /** Set by the cache when `versionsTier` ≥ 0. */
  shared: SharedTagVersions | undefined
  #serializer: Serializer
  #emitter: Emitter
  #strict: boolean
  /** Keys a shared tier failed to write or delete, deleted from it once it answers again. */
  readonly repair = new TierRepair((tier, keys) => this.#repairDelete(tier, keys))
  /** The cache's clock, for the time of a change a tier missed (set by the cache). */
  now: () => number = Date.now

  constructor(tiers: readonly Store[], serializer: Serializer, emitter: Emitter, strict: boolean) {
    this.tiers = tiers
    const first = tiers[0]!
    this.sync = first.binary ? undefined : (first as SyncStore)
    this.hasBinary = tiers.some((t) => t.binary)
    this.#serializer = serializer
    this.#emitter = emitter
    this.#strict = strict
    for (const tier of tiers) this.errors[tier.name] = 0
    let v = -1
    for (let i = tiers.length - 1; i >= 0; i--) {
      if (tiers[i]!.versions !== undefined) {
        v = i
        break
      }
    }
    this.versionsTier = v
    this.casTier = tiers.findLastIndex((t) => typeof t.compareAndSet === 'function')
  }

  /** Runs `fn` against a tier; on failure counts, emits and returns `undefined` (or rethrows when strict). */
  async call<R>(
    tier: Store,
    operation: string,
    key: string | undefined,
    fn: () => MaybePromise<R>,
    changed?: readonly string[],
  ): Promise<R | undefined> {
    if (this.#emitter.listeners.tierOp !== undefined) return this.#timedCall(tier, operation, key, fn, changed)
    try {
      const got = await fn()
      if (this.repair.pending) this.#repaired(tier, changed)
      return got
    } catch (error) {
      // A change a shared tier missed leaves the old value there for every other process.
      if (changed !== undefined && tier.binary && !this.#strict && tier.strict !== true) {
        this.repair.remember(tier, changed, this.now())
      }
      this.fail(tier, operation, key, error)
      return undefined
    }
  }

  /** A call on `tier` succeeded: what it changed needs no repair, and the rest can be tried now. */
  #repaired(tier: Store, changed: readonly string[] | undefined): void {
    if (changed !== undefined) this.repair.forget(tier, changed)
    void this.repair.attempt(tier)
  }

  /**
   * Deletes the keys whose entry in `tier` is older than the change it missed
   * (an entry another process wrote since is kept); resolves the keys deleted,
   * or `undefined` when the tier did not answer.
   */
  async #repairDelete(tier: Store, keys: ReadonlyMap<string, number>): Promise<string[] | undefined> {
    try {
      const deleted: string[] = []
      for (const [key, at] of keys) {
        const raw = (await tier.get(key)) as Envelope | Uint8Array | undefined
        if (raw === undefined) continue
        const env = this.decode(tier, raw, key)
        if (env !== undefined && env.createdAt > at) continue
        await tier.delete(key)
        deleted.push(key)
      }
      return deleted
    } catch {
      return undefined
    }
  }

  /** Reads `key` from tier `i`, with its tag versions in the same round trip where that tier holds them. */
  async #readRaw(
    i: number,
    key: string,
  ): Promise<{ raw: Envelope | Uint8Array | undefined; current: readonly number[] | undefined }> {
    const tier = this.tiers[i]!
    if (i === this.versionsTier && tier.getWithVersions !== undefined) {
      const got = await this.call<VersionedEntry<Envelope | Uint8Array> | undefined>(tier, 'get', key, () =>
        tier.getWithVersions!(key),
      )
      return { raw: got?.value, current: got?.versions }
    }
    return { raw: await this.call(tier, 'get', key, () => tier.get(key)), current: undefined }
  }

  /** `call`, timed for `tierOp` listeners (metrics, tracing); untimed when nobody listens. */
  async #timedCall<R>(
    tier: Store,
    operation: string,
    key: string | undefined,
    fn: () => MaybePromise<R>,
    changed: readonly string[] | undefined,
  ): Promise<R | undefined> {
    const start = performance.now()
    let ok = true
    try {
      const got = await fn()
      if (this.repair.pending) this.#repaired(tier, changed)
      return got
    } catch (error) {
      ok = false
      if (changed !== undefined && tier.binary && !this.#strict && tier.strict !== true) {
        this.repair.remember(tier, changed, this.now())
      }
      this.fail(tier, operation, key, error)
      return undefined
    } finally {
      this.#emitter.emit('tierOp', { tier: tier.name, operation, duration: performance.now() - start, ok })
    }
  }

  fail(tier: Store, operation: string, key: string | undefined, error: unknown): void {
    // A call skipped by an open circuit is counted by the store's health, not as a new error.
    if (!isCacheError(error, 'ERR_CACHE_CIRCUIT_OPEN')) {
      this.errors[tier.name] = (this.errors[tier.name] ?? 0) + 1
      if (this.#emitter.listeners.error !== undefined) {
        this.#emitter.emit(
          'error',
          key === undefined ? { error, operation, tier: tier.name } : { error, operation, tier: tier.name, key },
        )
      }
    }
    if (this.#strict || tier.strict === true) throw error
  }

  decode(tier: Store, raw: Envelope | Uint8Array | undefined, key: string): Envelope | undefined {
    if (raw === undefined || !tier.binary) return raw as Envelope | undefined
    try {
      return decodeEnvelope(raw as Uint8Array, this.#serializer)
    } catch (error) {
      this.fail(tier, 'decode', key, error)
      return undefined
    }
  }

  /**
   * Reads `key` from tiers `from..n`. Returns the first entry `usable` accepts
   * (fresh), or else the newest entry still within grace, or `undefined`.
   * A fresh entry found below the first tier is copied up with its own expiry,
   * unless `watch` was marked (a write or delete of the key landed meanwhile).
   * An entry with tags read from a shared tier is checked against the exact
   * shared versions: read with the entry where the store can, else read after.
   */
  async read(
    key: string,
    from: number,
    now: number,
    usable: Usable,
    watch?: { readonly discard: boolean },
  ): Promise<{ fresh?: Found; stale?: Found }> {
    let stale: Found | undefined
    for (let i = from; i < this.tiers.length; i++) {
      const tier = this.tiers[i]!
      // A bus change heard during the round trip must not be undone by the versions it returns.
      const seq = this.shared?.seq
      const read = await this.#readRaw(i, key)
      const raw = read.raw
      let current = read.current
      const env = this.decode(tier, raw, key)
      if (env === undefined || env.staleUntil <= now) continue
      if (env.tags !== undefined && this.shared !== undefined && tier !== this.sync) {
        if (current !== undefined && current.length === env.tags.length) this.shared.note(env.tags, current, seq)
        else current = await this.shared.exact(env.tags)
      } else current = undefined
      if (usable(env, current)) {
        // Not over a write or delete that landed while the tiers were read (`watch`).
        if (i > 0 && watch?.discard !== true) await this.write(key, env, i)
        return stale === undefined ? { fresh: { env, tier: i } } : { fresh: { env, tier: i }, stale }
      }
      if (stale === undefined || env.createdAt > stale.env.createdAt) stale = { env, tier: i }
    }
    return stale === undefined ? {} : { stale }
  }

  /**
   * Reads several keys from tiers `from..n`, batching where a tier can. Entries
   * with tags from a shared tier are checked against exact shared versions
   * (one batched read); those that fail `usable` are looked up further down.
   */
  async readMany(keys: readonly string[], from: number, now: number, usable: Usable): Promise<(Found | undefined)[]> {
    const out = new Array<Found | undefined>(keys.length)
    let pending = keys.map((_, i) => i)
    for (let t = from; t < this.tiers.length && pending.length > 0; t++) {
      const tier = this.tiers[t]!
      const subset = pending.map((i) => keys[i]!)
      const raws = await this.call(tier, 'getMany', undefined, () =>
        tier.getMany !== undefined ? tier.getMany(subset) : Promise.all(subset.map((k) => tier.get(k))),
      )
      const envs = pending.map((idx, j) => {
        const env = this.decode(tier, raws?.[j], keys[idx]!)
        return env !== undefined && env.staleUntil > now ? env : undefined
      })
      let names: Set<string> | undefined
      if (this.shared !== undefined && tier !== this.sync) {
        for (const env of envs) if (env?.tags !== undefined) for (const n of env.tags) (names ??= new Set()).add(n)
      }
      let lookup: Map<string, number> | undefined
      if (names !== undefined) {
        const list = [...names]
        const values = await this.shared!.exact(list)
        lookup = new Map(list.map((n, i) => [n, values[i]!]))
      }
      const next: number[] = []
      pending.forEach((idx, j) => {
        const env = envs[j]
        const current =
          env?.tags !== undefined && lookup !== undefined ? env.tags.map((n) => lookup.get(n)!) : undefined
        if (env !== undefined && usable(env, current)) out[idx] = { env, tier: t }
        else next.push(idx)
      })
      pending = next
    }
    return out
  }

  /**
   * Writes an envelope to tiers `0..upTo-1` (all by default). Serializes once
   * for every byte tier.
   * @throws CacheError `ERR_CACHE_SERIALIZE` before writing anything, when the value cannot be serialized
   */
  async write(key: string, env: Envelope, upTo = this.tiers.length): Promise<void> {
    // A copy up from a lower tier into memory alone (the common L2 hit) needs no bytes.
    if (upTo === 1 && this.sync !== undefined) {
      this.sync.set(key, env, env.staleUntil)
      return
    }
    let bytes: Uint8Array | undefined
    if (this.hasBinary) bytes = encodeEnvelope(env, this.#serializer)
    const writes: Promise<unknown>[] = []
    for (let i = 0; i < upTo; i++) {
      const tier = this.tiers[i]!
      const value = tier.binary ? bytes! : env
      writes.push(
        this.call(
          tier,
          'set',
          key,
          () => (tier as Store<Envelope | Uint8Array>).set(key, value, env.staleUntil, env.tags),
          [key],
        ),
      )
    }
    await Promise.all(writes)
  }

  /**
   * Rewrites `key` with what `next` makes of the stored envelope, only if the
   * entry in {@link TierStack.casTier} is still the one read (compare-and-set,
   * atomic across processes); then copies the result to the other tiers
   * (compare-and-set against the same bytes where a tier offers it, a plain
   * set elsewhere, nothing in any tier once `watch` is marked by a local write).
   *
   * Resolves `false`, writing nothing, when that tier holds no live entry, when
   * `next` declines (`undefined`), when another writer got there first, and when
   * the tier fails (counted and reported as any tier error; thrown when strict):
   * a rewrite that cannot be checked against the shared copy is not made.
   * A writer that only moved the entry's times (another touch, here or in another
   * process) does not count as first: `next` is run again on what it wrote, and
   * the compare-and-set retried, up to {@link CAS_ATTEMPTS} tries in all.
   */
  async compareAndSet(
    key: string,
    now: number,
    next: (env: Envelope, current: readonly number[] | undefined) => MaybePromise<Envelope | undefined>,
    watch: { readonly discard: boolean },
  ): Promise<boolean> {
    const c = this.casTier
    const tier = this.tiers[c]!
    const t = tier as Store<Envelope | Uint8Array>
    let found = await this.#readLive(c, key, now)
    if (found === undefined) return false
    let updated: Envelope | undefined
    let bytes: Uint8Array | undefined
    const value = (s: Store): Envelope | Uint8Array => (s.binary ? bytes! : updated!)
    for (let attempt = 1; ; attempt++) {
      const { raw, env } = found
      updated = await next(env, found.current)
      if (updated === undefined || watch.discard) return false
      if (this.hasBinary) bytes = encodeEnvelope(updated, this.#serializer)
      const u = updated
      const swapped = await this.call(tier, 'compareAndSet', key, () =>
        t.compareAndSet!(key, raw, value(tier), u.staleUntil, u.tags),
      )
      if (swapped === true) break
      // Another writer got there first. A set or a delete wins; another touch (the
      // same write, only its times moved) does not make this entry any less live,
      // so the touch is made again over it (a few times at most).
      if (swapped !== false || attempt === CAS_ATTEMPTS) return false
      const again = await this.#readLive(c, key, now)
      if (again === undefined || !this.#sameWrite(env, again.env)) return false
      found = again
    }
    const raw = found.raw
    const done = updated!
    // A local set or delete that landed meanwhile wrote (or removed) the other copies: keep them.
    if (watch.discard) return true
    const writes: Promise<unknown>[] = []
    for (let i = 0; i < this.tiers.length; i++) {
      if (i === c) continue
      const other = this.tiers[i] as Store<Envelope | Uint8Array>
      if (other.compareAndSet !== undefined && other.binary === tier.binary) {
        writes.push(
          this.call(other, 'compareAndSet', key, () =>
            other.compareAndSet!(key, raw, value(other), done.staleUntil, done.tags),
          ),
        )
      } else {
        writes.push(this.call(other, 'set', key, () => other.set(key, value(other), done.staleUntil, done.tags)))
      }
    }
    await Promise.all(writes)
    return true
  }

  /**
   * The live entry under `key` in tier `c`, its stored form, and the shared
   * versions of its tags (as {@link TierStack.read} checks an entry from a shared
   * tier: read with the entry where the tier can, in the same round trip, else
   * read after it; `undefined` without tags or shared versions). `undefined`
   * when missing, past its grace, or the read failed.
   */
  async #readLive(
    c: number,
    key: string,
    now: number,
  ): Promise<{ raw: Envelope | Uint8Array; env: Envelope; current: readonly number[] | undefined } | undefined> {
    const tier = this.tiers[c]!
    const seq = this.shared?.seq
    const read = await this.#readRaw(c, key)
    const raw = read.raw
    let current = read.current
    if (raw === undefined) return undefined
    const env = this.decode(tier, raw, key)
    if (env === undefined || env.staleUntil <= now) return undefined
    if (env.tags === undefined || this.shared === undefined) return { raw, env, current: undefined }
    if (current !== undefined && current.length === env.tags.length) this.shared.note(env.tags, current, seq)
    else current = await this.shared.exact(env.tags)
    return { raw, env, current }
  }

  /** Whether `b` is the write `a` was, with only its fresh and stale times moved (a touch of it). */
  #sameWrite(a: Envelope, b: Envelope): boolean {
    if (a.createdAt !== b.createdAt || a.loadTime !== b.loadTime || a.key !== b.key) return false
    try {
      const timeless = (e: Envelope) => encodeEnvelope({ ...e, freshUntil: 0, staleUntil: 0 }, this.#serializer)
      return sameBytes(timeless(a), timeless(b))
    } catch {
      return false
    }
  }

  /** Writes several envelopes to every tier, batching where a tier can. */
  async writeMany(entries: readonly { key: string; env: Envelope }[]): Promise<void> {
    const encoded = this.hasBinary ? entries.map((e) => encodeEnvelope(e.env, this.#serializer)) : undefined
    await Promise.all(
      this.tiers.map((tier) => {
        const list = entries.map((e, i) => ({
          key: e.key,
          value: tier.binary ? encoded![i]! : e.env,
          expiresAt: e.env.staleUntil,
          tags: e.env.tags,
        }))
        const t = tier as Store<Envelope | Uint8Array>
        return this.call(tier, 'setMany', undefined, () =>
          t.setMany !== undefined
            ? t.setMany(list)
            : Promise.all(list.map((w) => t.set(w.key, w.value, w.expiresAt, w.tags))).then(noop),
        )
      }),
    )
  }

  /** Deletes keys from every tier; resolves whether any tier had the first key. */
  async delete(keys: readonly string[]): Promise<boolean> {
    const results = await Promise.all(
      this.tiers.map((tier) =>
        this.call(
          tier,
          'delete',
          keys.length === 1 ? keys[0] : undefined,
          async () => {
            if (keys.length === 1) return tier.delete(keys[0]!)
            if (tier.deleteMany !== undefined) {
              await tier.deleteMany(keys)
              return true
            }
            await Promise.all(keys.map((k) => tier.delete(k)))
            return true
          },
          keys,
        ),
      ),
    )
    return results.some((r) => r === true)
  }

  /**
   * Clears `prefix` (or everything) in every tier. A tier that refuses to clear
   * as configured (`ERR_CACHE_INVALID_OPTION`: Memcached without `flushOnClear`
   * has no way to clear only its own keys) is counted and reported as any tier
   * error, and then the call rejects, strict or not, once the other tiers are
   * cleared: no caller is told entries are gone that the next read returns. A
   * tier that is down fails open as every operation does (counted, `error`
   * event; rejects only when strict).
   */
  async clear(prefix: string): Promise<void> {
    const failures: { tier: string; error: unknown }[] = []
    await Promise.all(
      this.tiers.map((tier) =>
        this.call(tier, 'clear', undefined, async () => {
          try {
            await tier.clear(prefix)
          } catch (error) {
            if (isCacheError(error, 'ERR_CACHE_INVALID_OPTION')) failures.push({ tier: tier.name, error })
            throw error
          }
        }),
      ),
    )
    if (failures.length > 0) throw clearFailed(failures)
  }

  async close(): Promise<void> {
    this.repair.close()
    await Promise.all(this.tiers.map((tier) => this.call(tier, 'close', undefined, () => tier.close?.())))
  }
}

function noop(): void {}

/** The error of a clear that some tiers refused: every tier named. */
function clearFailed(failures: readonly { tier: string; error: unknown }[]): CacheError {
  const first = failures[0]!.error
  const code = first instanceof CacheError ? first.code : 'ERR_CACHE_INVALID_OPTION'
  const why = failures
    .map((f) => `tier "${f.tier}": ${f.error instanceof Error ? f.error.message : String(f.error)}`)
    .join('; ')
  return new CacheError(code, `clear() did not clear every tier, so old entries may still be read. ${why}`, {
    cause: first,
  })
}

/** Tries of a touch's compare-and-set that lose only to other touches of the same entry. */
const CAS_ATTEMPTS = 4

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
