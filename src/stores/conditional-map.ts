/**
 * Shared version counters and a lease lock built only from a distributed
 * map's conditional writes (`putIfAbsent`, replace-if-same, remove-if-same),
 * for the data grids whose clients offer no server-side script: Hazelcast
 * (without the Enterprise CP subsystem) and Apache Ignite's thin client.
 *
 * Each step is one atomic operation on the server, so a counter bumped from
 * two processes at once counts both (the loser of a replace reads again and
 * retries), and only one caller holds a lock at a time.
 * @module
 */
import { randomUUID } from 'node:crypto'

/**
 * The conditional operations of a distributed map, as a data grid's client
 * offers them. `ttl` (ms) is the server-side expiry where the grid has one
 * per entry; a map without it ignores it.
 */
export interface ConditionalMap<V> {
  get(key: string): Promise<V | null | undefined>
  getMany(keys: readonly string[]): Promise<(V | undefined)[]>
  /** Writes `value` unless the key is there; resolves the value found, or null/undefined when it wrote. */
  putIfAbsent(key: string, value: V, ttl?: number): Promise<V | null | undefined>
  /** Writes `value` only while the key holds `expected`; resolves whether it did. */
  replaceIfSame(key: string, expected: V, value: V, ttl?: number): Promise<boolean>
  /** Removes the key only while it holds `expected`; resolves whether it did. */
  removeIfSame(key: string, expected: V): Promise<boolean>
}

/** The current versions of `names` (0 for a name never bumped), in order. */
export async function readCounters(map: ConditionalMap<number>, names: readonly string[]): Promise<number[]> {
  const found = await map.getMany(names)
  return found.map((v) => (typeof v === 'number' ? v : 0))
}

/**
 * Increments each of `names` by one, atomically, by compare-and-swap: a
 * missing counter is created at 1 with `putIfAbsent`, an existing one moved
 * on with replace-if-same; a caller that lost the race reads again.
 */
export function bumpCounters(map: ConditionalMap<number>, names: readonly string[]): Promise<number[]> {
  return Promise.all(names.map((name) => bumpOne(map, name)))
}

async function bumpOne(map: ConditionalMap<number>, name: string): Promise<number> {
  for (;;) {
    const current = await map.get(name)
    if (typeof current !== 'number') {
      const found = await map.putIfAbsent(name, 1)
      if (found === null || found === undefined) return 1
    } else if (await map.replaceIfSame(name, current, current + 1)) {
      return current + 1
    }
  }
}

/**
 * A cross-process lock named `name` held for at most `ttl` ms: the holder's
 * value is `until:token`. Taken with `putIfAbsent`; a holder whose lease has
 * run out is replaced (replace-if-same, so two waiters cannot both take it),
 * which matters where the map has no server-side expiry (Ignite's thin
 * client); where it has one (Hazelcast), the lease is also the entry's TTL and
 * the entry goes by itself. Released with remove-if-same, so a holder that
 * outlived its lease cannot release the next holder's lock.
 *
 * The lease is measured on this machine's clock where the map has no TTL:
 * machines whose clocks disagree by more than a lease may take over early.
 *
 * Resolves the release function, or `undefined` when someone else holds it.
 */
export async function leaseLock(
  map: ConditionalMap<string>,
  name: string,
  ttl: number,
): Promise<(() => Promise<void>) | undefined> {
  const lease = Math.max(1, Math.ceil(ttl))
  const mine = `${Date.now() + lease}:${randomUUID()}`
  const release = async () => {
    await map.removeIfSame(name, mine)
  }
  const held = await map.putIfAbsent(name, mine, lease)
  if (held === null || held === undefined) return release
  const until = Number(held.slice(0, held.indexOf(':')))
  if (Number.isFinite(until) && until > Date.now()) return undefined
  return (await map.replaceIfSame(name, held, mine, lease)) ? release : undefined
}

/**
 * {@link leaseLock} as a store's `lock()` offers it: a failure to reach the
 * map rejects with what `fail` makes of it (operation `'lock'`), and the
 * release function rejects the same way (operation `'unlock'`).
 */
export async function storeLock(
  map: () => Promise<ConditionalMap<string>>,
  name: string,
  ttl: number,
  fail: (operation: string, error: unknown) => Error,
): Promise<(() => Promise<void>) | undefined> {
  let release: (() => Promise<void>) | undefined
  try {
    release = await leaseLock(await map(), name, ttl)
  } catch (error) {
    throw fail('lock', error)
  }
  if (release === undefined) return undefined
  return () =>
    release().catch((error: unknown) => {
      throw fail('unlock', error)
    })
}
