/**
 * Write-behind (write-back) that loses nothing. A write is acknowledged once
 * it is in a durable journal and in the cache; the source is written later,
 * in batches, with writes of one key coalesced to the last. A failing flush
 * is retried with backoff and never drops or reorders a key's writes; after
 * a crash, the next start replays the journal.
 *
 * Ordering: one flush runs at a time, and a key's writes enter the journal,
 * the cache and the queue in call order, so the source sees each key's
 * values in the order they were written (intermediate values coalesced away).
 * @module
 */
import type { Cache } from '../core/cache.js'
import { type Clock, systemClock } from '../core/clock.js'
import { type Duration, parseDuration } from '../core/duration.js'
import { CacheError, invalidOption } from '../core/errors.js'
import type { SetOptions } from '../core/options.js'
import { defaultSerializer, type Serializer } from '../core/serializer.js'
import { type JournalId, type JournalRecord, sqliteJournal, type WriteJournal } from './journal.js'

/** One coalesced write handed to `flush`: the last value of `key` (or its deletion). */
export interface WriteBehindEntry<V> {
  key: string
  op: 'set' | 'delete'
  /** The value (`undefined` for a delete). */
  value: V | undefined
}

/** Options of {@link writeBehind}. */
export interface WriteBehindOptions<V> {
  /** The cache (or namespace) writes are visible in at once. */
  cache: Cache
  /**
   * Writes a batch to the source, for example in one transaction or one
   * multi-row upsert. Throw (or reject) to have the whole batch retried; a
   * batch may be delivered again after a crash, so make it idempotent (upserts).
   */
  flush: (batch: WriteBehindEntry<V>[]) => unknown
  /** The most entries per flush. @defaultValue 500 */
  maxBatch?: number
  /** The longest a write waits before a flush starts (unless a batch fills first). @defaultValue `'1s'` */
  maxDelay?: Duration
  /**
   * Where acknowledged writes wait. A {@link WriteJournal}, for example
   * `sqliteJournal({ path })` or `redisJournal({ client })`. Each queue of a
   * process needs its own journal: a second queue on the same SQLite path and
   * `name` fails (`ready` and its writes reject with `ERR_CACHE_JOURNAL`) until
   * the first is closed, so give several queues `sqliteJournal({ name })`; the
   * same holds for a second queue on the same `redisJournal` stream key.
   * @defaultValue `sqliteJournal()`: the file `.cachestack/write-behind.db`, name `'default'`
   */
  journal?: WriteJournal
  /** Backoff between retries of a failed flush: doubling from `min` to `max`, with jitter. @defaultValue `{ min: '100ms', max: '30s' }` */
  retry?: { min?: Duration; max?: Duration }
  /** How long `close()` keeps retrying a failing flush before giving up (the writes stay journaled). @defaultValue `'10s'` */
  closeTimeout?: Duration
  /** Options of the cache writes (`ttl`, `tags`, …). @defaultValue the cache's */
  setOptions?: SetOptions
  /** Serializes values into the journal. @defaultValue the core's {@link defaultSerializer} */
  serializer?: Serializer
  /** Called on each failed flush attempt (the batch will be retried). */
  onError?: (error: unknown, batch: readonly WriteBehindEntry<V>[]) => void
  /** The clock `lag` is measured by. @defaultValue `Date.now` */
  clock?: Clock
}

/** What {@link WriteBehind.stats} reports. */
export interface WriteBehindStats {
  /** Keys waiting to reach the source (queued or being flushed). */
  backlog: number
  /** Journal entries not yet flushed (coalesced writes count once each). */
  journaled: number
  /** How long the oldest unflushed write has waited, in ms (0 when none). */
  lag: number
  /** Writes accepted. */
  writes: number
  /** Writes merged into a later write of the same key before reaching the source. */
  coalesced: number
  /** Successful flushes, and the entries they carried. */
  flushes: number
  flushed: number
  /** Failed flush attempts (each retried). */
  failures: number
  /** Writes replayed from the journal at start. */
  replayed: number
}

/** A write-behind queue. Create it with {@link writeBehind}. */
export interface WriteBehind<V> {
  /** Resolves once the journal is open and replayed writes are queued. `write` waits for it by itself. */
  readonly ready: Promise<void>
  /** Stores `value` in the journal and the cache; the source gets it on a later flush. */
  write(key: string, value: V): Promise<void>
  /** Deletes `key` from the cache now and from the source on a later flush. */
  delete(key: string): Promise<void>
  /** Flushes everything queued now (retrying failures); resolves when the queue is empty. */
  flush(): Promise<void>
  /** Counters, backlog and lag. */
  stats(): WriteBehindStats
  /**
   * Stops accepting writes, flushes what is pending (retrying up to
   * `closeTimeout`), and closes the journal. Rejects with `ERR_CACHE_FLUSH` if
   * the source still fails; those writes stay journaled for the next start.
   */
  close(): Promise<void>
}

interface Queued<V> {
  op: 'set' | 'delete'
  value: V | undefined
  ids: JournalId[]
  since: number
}

/** The writes of one group commit share one promise: they are acknowledged (or fail) together. */
interface Group {
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

function newGroup(): Group {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * Creates a write-behind queue over `cache` and `flush`.
 *
 * @param options - see {@link WriteBehindOptions}
 * @example
 * ```ts
 * const stock = writeBehind({
 *   cache: cache.namespace('stock'),
 *   flush: (batch) => db.transaction(() => batch.forEach((e) => upsert.run(e.key, e.value)))(),
 *   maxBatch: 500,
 *   maxDelay: '200ms',
 *   journal: sqliteJournal({ path: './data/journal.db' }),
 * })
 * await stock.write('sku-1', 41) // in the journal and the cache; the database follows
 * process.on('SIGTERM', () => stock.close())
 * ```
 */
export function writeBehind<V>(options: WriteBehindOptions<V>): WriteBehind<V> {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  const { cache, flush: flushFn } = options
  if (cache === null || typeof cache !== 'object' || typeof cache.set !== 'function') {
    throw invalidOption('cache', 'a cache or namespace', cache)
  }
  if (typeof flushFn !== 'function') throw invalidOption('flush', 'a function (batch) => Promise<void>', flushFn)
  const maxBatch = options.maxBatch ?? 500
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw invalidOption('maxBatch', 'an integer ≥ 1', maxBatch)
  const maxDelay = parseDuration(options.maxDelay ?? '1s', 'maxDelay')
  const retryMin = parseDuration(options.retry?.min ?? '100ms', 'retry.min')
  const retryMax = Math.max(retryMin, parseDuration(options.retry?.max ?? '30s', 'retry.max'))
  const closeTimeout = parseDuration(options.closeTimeout ?? '10s', 'closeTimeout')
  const serializer = options.serializer ?? defaultSerializer
  const clock = options.clock ?? systemClock
  const journal = options.journal ?? sqliteJournal()

  /** Keys waiting for a flush, in the order of their first unflushed write. */
  let queue = new Map<string, Queued<V>>()
  /** The batch being flushed now. */
  let inFlight: Map<string, Queued<V>> | undefined
  /** The writes waiting for their group commit, as journaled (serialized values)… */
  let appends: JournalRecord[] = []
  /** …and their values as written, index for index (the cache and the flush get these). */
  let appendValues: unknown[] = []
  /** The group the next write joins; `undefined` until a write opens one. */
  let group: Group | undefined
  /** A commit at the end of this turn of the event loop is scheduled. */
  let turnEndPending = false
  /** Groups committed one after the other in microtasks since the last turn of the event loop. */
  let chained = 0
  let isReady = false
  let timer: NodeJS.Timeout | undefined
  let flushing: Promise<void> | undefined
  let closed = false
  let closing = false
  /** When retries must stop (set by close). */
  let deadline = Number.POSITIVE_INFINITY
  /** Cuts a retry's backoff short (close wants the next attempt now). */
  let wake: (() => void) | undefined
  const stats: WriteBehindStats = {
    backlog: 0,
    journaled: 0,
    lag: 0,
    writes: 0,
    coalesced: 0,
    flushes: 0,
    flushed: 0,
    failures: 0,
    replayed: 0,
  }

  const enqueue = (key: string, op: 'set' | 'delete', value: V | undefined, id: JournalId, since: number) => {
    const q = queue.get(key)
    if (q === undefined) {
      queue.set(key, { op, value, ids: [id], since })
    } else {
      q.op = op
      q.value = value
      q.ids.push(id)
      stats.coalesced++
    }
    stats.journaled++
  }

  const ready = (async () => {
    await journal.open()
    const entries = await journal.replay()
    const now = clock.now()
    for (const e of entries) {
      const value = e.op === 'set' ? (serializer.deserialize(e.value!) as V) : undefined
      enqueue(e.key, e.op, value, e.id, now)
      stats.replayed++
    }
    schedule()
    // The cache may have lost these writes with the process: put the last value of each key back.
    for (const [key, q] of queue) {
      if (q.op === 'set') await cache.set(key, q.value, options.setOptions).catch(noop)
      else await cache.delete(key).catch(noop)
    }
  })()
  ready.then(() => {
    isReady = true
  }, noop)

  /** The last index of each key in the group being committed, keys in the order of their first write (reused). */
  const lastIndex = new Map<string, number>()

  /**
   * Commits the writes of a group in one journal write (group commit): those
   * of this turn of the event loop, or of the writers that followed up at once
   * on the previous group. Writes of one key in the same group are coalesced
   * first: all of them are acknowledged together, so only the last needs journaling.
   */
  const commitAppends = async () => {
    const batch = appends
    const batchValues = appendValues
    const done = group!
    appends = []
    appendValues = []
    group = undefined
    let kept = batch
    let keptValues = batchValues
    if (batch.length > 1) {
      for (let i = 0; i < batch.length; i++) lastIndex.set(batch[i]!.key, i)
      if (lastIndex.size < batch.length) {
        kept = []
        keptValues = []
        // In the order of each key's first write in the group (the queue's order), with its last value.
        for (const i of lastIndex.values()) {
          kept.push(batch[i]!)
          keptValues.push(batchValues[i])
        }
      }
      lastIndex.clear()
    }
    let ids: JournalId[]
    try {
      const appended = journal.append(kept)
      // The SQLite journal answers synchronously: no extra turn of the microtask queue.
      ids = Array.isArray(appended) ? appended : await appended
    } catch (error) {
      const err =
        error instanceof CacheError
          ? error
          : new CacheError('ERR_CACHE_JOURNAL', `Writing the write-behind journal failed: ${String(error)}`, {
              cause: error,
            })
      done.reject(err)
      return
    }
    stats.coalesced += batch.length - kept.length
    const now = clock.now()
    const sets: [string, unknown][] = []
    let deletes: string[] | undefined
    for (let i = 0; i < kept.length; i++) {
      const r = kept[i]!
      const value = keptValues[i] as V | undefined
      enqueue(r.key, r.op, value, ids[i]!, now)
      if (r.op === 'set') sets.push([r.key, value])
      else (deletes ??= []).push(r.key)
    }
    schedule()
    // One key appears once here, so the cache writes can go in two batches.
    let failed: unknown
    try {
      if (sets.length > 0) await cache.setMany(sets, options.setOptions)
      if (deletes !== undefined) await cache.deleteMany(deletes)
    } catch (error) {
      if (!(error instanceof CacheError && error.code === 'ERR_CACHE_CLOSED')) failed = error
    }
    // A cache failure is reported to the writers; their writes are journaled and will reach the source regardless.
    if (failed !== undefined) done.reject(failed)
    else done.resolve()
    // The writers awaiting this group continue in the microtasks just queued, ahead of this one: when
    // they write again at once (a writer awaiting each write), their group commits without waiting for
    // the end of the event loop's turn. A bounded number in a row, so timers and I/O still get their turn.
    if (chained < MAX_CHAINED) queueMicrotask(commitChained)
  }

  /** A group waits for the end of this turn of the event loop, so writes of every I/O callback in it join. */
  function commitAtTurnEnd(): void {
    turnEndPending = false
    chained = 0
    if (group !== undefined) void commitAppends()
  }

  function commitChained(): void {
    if (group === undefined) return
    chained++
    void commitAppends()
  }

  const submit = (key: string, op: 'set' | 'delete', value: V | undefined): Promise<void> => {
    if (closed || closing)
      return Promise.reject(new CacheError('ERR_CACHE_CLOSED', 'This write-behind queue was closed.'))
    if (typeof key !== 'string' || key.length === 0)
      return Promise.reject(invalidOption('key', 'a non-empty string', key))
    if (!isReady) return ready.then(() => submit(key, op, value))
    let bytes: Uint8Array | undefined
    try {
      // Serialized now, so a value that cannot be stored fails its own write only.
      bytes = op === 'set' ? serializer.serialize(value) : undefined
    } catch (error) {
      return Promise.reject(error)
    }
    stats.writes++
    appends.push({ key, op, value: bytes })
    appendValues.push(value)
    if (group === undefined) {
      group = newGroup()
      if (!turnEndPending) {
        turnEndPending = true
        setImmediate(commitAtTurnEnd)
      }
    }
    return group.promise
  }

  function schedule(): void {
    if (flushing !== undefined || closed || closing) return
    if (queue.size >= maxBatch) {
      startFlush()
      return
    }
    if (timer === undefined && queue.size > 0) {
      timer = setTimeout(startFlush, maxDelay)
      timer.unref?.()
    }
  }

  function startFlush(): void {
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    if (flushing !== undefined || queue.size === 0) return
    flushing = drain().finally(() => {
      flushing = undefined
      schedule()
    })
    flushing.catch(noop)
  }

  /** Flushes batches until the queue is empty (or, unless closing, until it holds less than a batch). */
  async function drain(): Promise<void> {
    while (queue.size > 0) {
      const batch = new Map<string, Queued<V>>()
      for (const [key, q] of queue) {
        if (batch.size >= maxBatch) break
        batch.set(key, q)
      }
      for (const key of batch.keys()) queue.delete(key)
      inFlight = batch
      const entries: WriteBehindEntry<V>[] = []
      for (const [key, q] of batch) entries.push({ key, op: q.op, value: q.value })
      let attempt = 0
      for (;;) {
        try {
          await flushFn(entries)
          break
        } catch (error) {
          stats.failures++
          options.onError?.(error, entries)
          const now = Date.now()
          if (now >= deadline) {
            // Give the batch back, ahead of newer writes of the same keys.
            queue = new Map([...batch, ...mergeInto(batch, queue)])
            inFlight = undefined
            throw new CacheError(
              'ERR_CACHE_FLUSH',
              `Write-behind could not flush ${entries.length} writes: ${String(error)}. They stay journaled and are replayed on the next start.`,
              { cause: error },
            )
          }
          const backoff = Math.min(retryMax, retryMin * 2 ** attempt) * (0.5 + Math.random() / 2)
          attempt++
          await new Promise<void>((resolve) => {
            wake = resolve
            setTimeout(resolve, Math.min(backoff, deadline - now)).unref?.()
          })
          wake = undefined
        }
      }
      const ids: JournalId[] = []
      for (const q of batch.values()) for (const id of q.ids) ids.push(id)
      inFlight = undefined
      stats.flushes++
      stats.flushed += entries.length
      stats.journaled -= ids.length
      try {
        await journal.ack(ids)
      } catch {
        // Not fatal: the entries are in the source; a replay would write them again (flush is idempotent).
      }
      if (!closing && queue.size < maxBatch) {
        const first = queue.values().next()
        // Keep going only while the oldest waiting write is already due.
        if (first.done || clock.now() - first.value.since < maxDelay) return
      }
    }
  }

  async function flushAll(): Promise<void> {
    await ready
    while (group !== undefined) await group.promise.catch(noop)
    for (;;) {
      if (flushing !== undefined) await flushing.catch(noop)
      if (queue.size === 0) return
      if (timer !== undefined) {
        clearTimeout(timer)
        timer = undefined
      }
      flushing = drain().finally(() => {
        flushing = undefined
      })
      await flushing
    }
  }

  return {
    ready,
    write: (key, value) => submit(key, 'set', value),
    delete: (key) => submit(key, 'delete', undefined),
    flush: () => flushAll(),
    stats() {
      let oldest = Number.POSITIVE_INFINITY
      let backlog = queue.size
      for (const q of queue.values()) if (q.since < oldest) oldest = q.since
      if (inFlight !== undefined) {
        backlog += inFlight.size
        for (const q of inFlight.values()) if (q.since < oldest) oldest = q.since
      }
      return {
        ...stats,
        backlog,
        lag: oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, clock.now() - oldest),
      }
    },
    async close() {
      if (closed) return
      closing = true
      deadline = Date.now() + closeTimeout
      wake?.()
      try {
        await flushAll()
      } finally {
        closed = true
        if (timer !== undefined) clearTimeout(timer)
        await journal.close()
      }
    },
  }
}

/** The entries of `queue`, with those of keys also in `batch` merged after the batch's (they are newer). */
function mergeInto<V>(batch: Map<string, Queued<V>>, queue: Map<string, Queued<V>>): [string, Queued<V>][] {
  const out: [string, Queued<V>][] = []
  for (const [key, q] of queue) {
    const older = batch.get(key)
    if (older !== undefined) {
      // The newer write wins; the older entry's journal ids are acknowledged with it.
      older.op = q.op
      older.value = q.value
      older.ids.push(...q.ids)
    } else out.push([key, q])
  }
  return out
}

/** Groups committed in a row without a turn of the event loop, at most (about 16 × one commit's time). */
const MAX_CHAINED = 16

function noop(): void {}
