/**
 * The Redis tier, on ioredis (chosen by measurement: see docs/stores-redis.md).
 * Standalone, Cluster and Sentinel: bytes under `prefix + key` with a PX
 * expiry; the gets and sets of one tick sent as one command each
 * (tick-batch.ts; not in a Cluster); MGET and pipelines for many keys (split
 * per slot in a Cluster), UNLINK for deletes, SCAN (never KEYS) on every master
 * for clear. Operations issued while the client first connects are timed from
 * when it is ready (`connecting()`, bounded by `connectTimeout`).
 * @module
 */
import { createHash, randomUUID } from 'node:crypto'
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import type { Clock } from '../../core/clock.js'
import { type Duration, parseDuration } from '../../core/duration.js'
import { CacheError, invalidOption } from '../../core/errors.js'
import type { MaybePromise, SharedVersions, Store, StoreContext, StoreWrite, VersionedEntry } from '../../core/store.js'
import { type GuardedTier, type GuardOptions, guardStore } from '../guard.js'
import { COMPARE_AND_SET, decodeEntry, encodeEntry, entryTags, GET_WITH_VERSIONS, TAGGED_ENTRY } from './entry.js'
import { groupBySlot } from './key-slot.js'
import { BATCH_MAX_BYTES, BATCH_MAX_CALLS, TickBatch } from './tick-batch.js'

/** A Sentinel to ask for the master's address. */
export interface SentinelAddress {
  host: string
  port: number
}

/**
 * Options of {@link redisStore}. Give exactly one of `url`, `client`,
 * `cluster` or `sentinels`.
 */
export interface RedisStoreOptions extends GuardOptions {
  /** A Redis URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS). */
  url?: string
  /**
   * Your own ioredis client (`Redis` or `Cluster`). The store uses it as it is
   * and never closes it; `close()` leaves it to you.
   */
  client?: Redis | Cluster
  /** Redis Cluster startup nodes (`[{ host, port }]`), or the nodes with ioredis `ClusterOptions`. */
  cluster?: ClusterNode[] | { nodes: ClusterNode[]; options?: ClusterOptions }
  /** Sentinels watching the master named `masterName`; the store follows failovers. */
  sentinels?: SentinelAddress[]
  /** The master's name in Sentinel. @defaultValue `'mymaster'` */
  masterName?: string
  /** Extra ioredis options for the clients the store creates (password, tls, db, …). */
  redisOptions?: RedisOptions
  /**
   * Prepended to every key, so several apps can share one Redis and `clear()`
   * touches only this store's keys. @defaultValue `'cachestack:'`
   */
  prefix?: string
  /** The tier's name in stats and errors. @defaultValue `'redis'` */
  name?: string
  /**
   * How a read gets the versions of an entry's tags. `'script'`: one Lua
   * script (GET + MGET) for every read: one round trip, but about ten times
   * the server CPU of a GET (measured: 5.7 µs against 0.5 µs per call).
   * `'get'`: a plain GET, and for a tagged entry an MGET of its counters after
   * it (two round trips for tagged entries only). `'auto'`: `'get'` while
   * fewer than 1 in 20 of this store's hits carry tags, `'script'` above.
   * @defaultValue `'auto'`
   */
  tagReads?: 'auto' | 'script' | 'get'
  /**
   * How long the client's first connection may take (TCP, TLS, AUTH, the ready
   * check and ioredis' retries, all together). Operations issued meanwhile wait
   * for it, and their `timeout` starts once connected; when it lapses they fail
   * with `ERR_CACHE_UNAVAILABLE` naming the server, and later operations get
   * their plain `timeout`. Only the first connection: after it, a reconnect
   * counts against `timeout`, so a server that dies is skipped at once.
   * Counted from the store's creation (a `lazyConnect` client: from its first
   * command). ioredis' own `redisOptions.connectTimeout` bounds one TCP attempt.
   * @defaultValue `'10s'`
   */
  connectTimeout?: Duration
}

/** `tagReads: 'auto'` switches to the script above this share of tagged hits. */
const AUTO_SCRIPT = 0.05
/** The weight of one hit in that share's moving average (about the last 50 hits). */
const AUTO_WEIGHT = 0.02

/** Deletes the lock only while it still holds the caller's token. */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

const GET_WITH_VERSIONS_SHA = createHash('sha1').update(GET_WITH_VERSIONS).digest('hex')
const COMPARE_AND_SET_SHA = createHash('sha1').update(COMPARE_AND_SET).digest('hex')

/** ioredis' Buffer-replying script commands, present on every client but missing from its types. */
interface ScriptClient {
  evalshaBuffer(sha: string, keys: number, ...args: string[]): Promise<unknown>
  evalBuffer(script: string, keys: number, ...args: string[]): Promise<unknown>
  evalsha(sha: string, keys: number, ...args: (string | Buffer)[]): Promise<unknown>
  eval(script: string, keys: number, ...args: (string | Buffer)[]): Promise<unknown>
}

/** Options ioredis gets for clients the store creates: fail fast while the server is down, so the cache fails open. */
const FAIL_FAST: RedisOptions = { maxRetriesPerRequest: 1 }

const systemClock: Clock = { now: Date.now }

/**
 * A {@link Store} in Redis. Create it with {@link redisStore}.
 */
export class RedisStore implements Store<Uint8Array> {
  readonly name: string
  readonly binary = true
  /** The ioredis client (a `Cluster` in cluster mode). */
  readonly client: Redis | Cluster
  /** The key prefix. */
  readonly prefix: string
  /**
   * Tag and namespace version counters, shared by every process on this Redis:
   * `INCR` to bump, `MGET` to read. Their keys share one hash tag, so they sit
   * in one Cluster slot and many are read in one command.
   */
  readonly versions: SharedVersions
  readonly #versionPrefix: string
  readonly #tagReads: 'auto' | 'script' | 'get'
  readonly #isCluster: boolean
  readonly #owned: boolean
  #clock: Clock = systemClock
  #closed = false
  /** Where the client connects, for errors: `host:port`, the cluster's nodes, the sentinels. */
  readonly #target: string
  /** The last connection error of a client the store created (`undefined` for a user's client). */
  #lastError: Error | undefined
  /**
   * Until when the first connection may still be waited for (`performance.now()` time); 0 once it is over,
   * `Infinity` until the first command of a lazyConnect client.
   */
  #connectUntil: number
  readonly #connectTimeout: number
  #connectWait: Promise<void> | undefined
  /** This tick's reads and writes, sent together (standalone and Sentinel; `undefined` in a Cluster). */
  readonly #tick: TickBatch | undefined

  /** @param options - see {@link RedisStoreOptions} */
  constructor(options: RedisStoreOptions) {
    const given = (['url', 'client', 'cluster', 'sentinels'] as const).filter((k) => options[k] !== undefined)
    if (given.length !== 1) {
      throw invalidOption(
        'redisStore',
        'given exactly one of url, client, cluster or sentinels',
        given.length === 0 ? 'none' : given.join(' and '),
      )
    }
    this.name = options.name ?? 'redis'
    this.prefix = options.prefix ?? 'cachestack:'
    if (typeof this.prefix !== 'string') throw invalidOption('prefix', 'a string', options.prefix)
    // Every option is checked before a client is made: a bad one must not leave a connection behind.
    this.#tagReads = options.tagReads ?? 'auto'
    if (!['auto', 'script', 'get'].includes(this.#tagReads)) {
      throw invalidOption('tagReads', "'auto', 'script' or 'get'", options.tagReads)
    }
    this.#connectTimeout = parseDuration(options.connectTimeout ?? 10_000, 'connectTimeout')
    const extra = { ...FAIL_FAST, ...options.redisOptions }
    if (options.client !== undefined) {
      // Duck-typed, not instanceof: the app may hold its own copy of ioredis.
      const c = options.client as Partial<Redis> | null
      if (
        c === null ||
        typeof c !== 'object' ||
        typeof c.getBuffer !== 'function' ||
        typeof c.isCluster !== 'boolean'
      ) {
        throw invalidOption('client', 'an ioredis Redis or Cluster instance', options.client)
      }
      this.client = options.client
      this.#owned = false
    } else if (options.url !== undefined) {
      if (typeof options.url !== 'string') throw invalidOption('url', 'a redis:// or rediss:// URL', options.url)
      this.client = new Redis(options.url, extra)
      this.#owned = true
    } else if (options.cluster !== undefined) {
      const c = options.cluster
      const nodes = Array.isArray(c) ? c : c.nodes
      if (!Array.isArray(nodes) || nodes.length === 0) {
        throw invalidOption('cluster', 'a non-empty array of { host, port } startup nodes', c)
      }
      const clusterOptions = Array.isArray(c) ? {} : (c.options ?? {})
      this.client = new Cluster(nodes, {
        ...clusterOptions,
        redisOptions: { ...extra, ...clusterOptions.redisOptions },
      })
      this.#owned = true
    } else {
      const sentinels = options.sentinels
      if (!Array.isArray(sentinels) || sentinels.length === 0) {
        throw invalidOption('sentinels', 'a non-empty array of { host, port }', sentinels)
      }
      this.client = new Redis({ ...extra, sentinels, name: options.masterName ?? 'mymaster' })
      this.#owned = true
    }
    this.#isCluster = this.client.isCluster
    this.#tick = this.#isCluster ? undefined : new TickBatch(this.client as Redis, (error) => this.#wrap('set', error))
    this.#target = describeTarget(this.client)
    const status = this.client.status
    // A client that is ready, closing or closed has no first connection to wait for; a lazyConnect
    // client ('wait') connects with its first command, and its connectTimeout starts then.
    this.#connectUntil =
      status === 'wait' ? Number.POSITIVE_INFINITY : WAITING.has(status) ? performance.now() + this.#connectTimeout : 0
    // `{…}` makes every counter hash to one slot, whatever the prefix holds; it
    // starts with "{" so no entry key (which starts with the prefix) can equal it.
    this.#versionPrefix = `{${this.prefix}v}:`
    this.versions = { read: (names) => this.#readVersions(names), bump: (names) => this.#bumpVersions(names) }
    // ioredis emits 'error' on every failed reconnect; without a listener Node
    // would print each one. The failures reach the cache through the commands
    // (their errors name the server and this last connection error).
    if (this.#owned) {
      this.client.on('error', (error: Error) => {
        this.#lastError = error
      })
    }
  }

  /**
   * While the client's first connection is being made (up to
   * `connectTimeout`), a promise that resolves once it is ready and rejects
   * with `ERR_CACHE_UNAVAILABLE` when it lapses or the client ends; then
   * `undefined`. The guard starts operations' timeouts when it resolves.
   */
  connecting(): Promise<void> | undefined {
    if (this.#connectWait !== undefined) return this.#connectWait
    if (this.#connectUntil === 0) return undefined
    const client = this.client
    if (this.#connectUntil === Number.POSITIVE_INFINITY) this.#connectUntil = performance.now() + this.#connectTimeout
    const left = this.#connectUntil - performance.now()
    if (client.status === 'ready' || left <= 0 || !WAITING.has(client.status)) {
      this.#connectUntil = 0
      return undefined
    }
    this.#connectWait = new Promise<void>((resolve, reject) => {
      const settle = (error?: CacheError) => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('end', onEnd)
        this.#connectUntil = 0
        this.#connectWait = undefined
        if (error === undefined) resolve()
        else reject(error)
      }
      const onReady = () => settle()
      const onEnd = () => settle(this.#unreachable('the client was closed before it connected'))
      const timer = setTimeout(() => settle(this.#unreachable(`within ${this.#connectTimeout} ms`)), left)
      timer.unref?.()
      client.once('ready', onReady)
      client.once('end', onEnd)
    })
    return this.#connectWait
  }

  #unreachable(why: string): CacheError {
    const last = this.#lastError === undefined ? '' : ` (last error: ${this.#lastError.message})`
    return new CacheError(
      'ERR_CACHE_UNAVAILABLE',
      `Redis (${this.name}) could not connect to ${this.#target} ${why}${last}: check that the server is up and reachable from this host, or raise connectTimeout.`,
      { cause: this.#lastError },
    )
  }

  init(ctx: StoreContext): void {
    this.#clock = ctx.clock
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#read(this.prefix + key).then(decodeEntry, this.#failGet)
  }

  /** A `GET` that joins the other reads of this tick (one `MGET`); one by one in a Cluster. */
  #read(full: string): Promise<Buffer | null> {
    return this.#tick === undefined ? this.client.getBuffer(full) : this.#tick.read(full)
  }

  /**
   * The entry and the current versions of the names it was written with.
   * With `tagReads: 'script'` (or `'auto'` while tagged entries are common) one
   * Lua script GETs the entry and MGETs its counters: one round trip. Otherwise
   * a plain GET, then, for a tagged entry only, an MGET of its counters: a safe
   * order, since versions only grow (an invalidation between the two reads
   * makes the entry stale, never the reverse). A Cluster always reads in two
   * steps: the counters live in another slot than the entry.
   */
  getWithVersions(key: string): Promise<VersionedEntry<Uint8Array> | undefined> {
    const full = this.prefix + key
    if (this.#isCluster || this.#tagReads === 'get' || (this.#tagReads === 'auto' && this.#taggedShare < AUTO_SCRIPT)) {
      return this.#read(full).then(this.#afterGet, this.#failGet)
    }
    this.#tick?.flush()
    // evalshaBuffer, not callBuffer: ioredis' auto-pipelining drops the command name of call/callBuffer.
    return (this.client as unknown as ScriptClient)
      .evalshaBuffer(GET_WITH_VERSIONS_SHA, 1, full, this.#versionPrefix)
      .then(this.#afterScript, (error: unknown) => this.#noScript(error, full))
  }

  /** The script cache is empty after a restart or failover: send the script once. */
  #noScript(error: unknown, full: string): Promise<VersionedEntry<Uint8Array> | undefined> {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw this.#wrap('get', error)
    return (this.client as unknown as ScriptClient)
      .evalBuffer(GET_WITH_VERSIONS, 1, full, this.#versionPrefix)
      .then(this.#afterScript, this.#failGet)
  }

  /** How often hits carry tags (a moving average), for `tagReads: 'auto'`. */
  #taggedShare = 0

  #noteTagged(tagged: boolean): void {
    this.#taggedShare = this.#taggedShare * (1 - AUTO_WEIGHT) + (tagged ? AUTO_WEIGHT : 0)
  }

  readonly #afterGet = (stored: Buffer | null): MaybePromise<VersionedEntry<Uint8Array> | undefined> => {
    const value = decodeEntry(stored)
    if (value === undefined) return undefined
    const tagged = stored![0] === TAGGED_ENTRY
    this.#noteTagged(tagged)
    if (!tagged) return { value, versions: NO_VERSIONS }
    const tags = entryTags(stored!)
    return tags.length === 0
      ? { value, versions: NO_VERSIONS }
      : this.#readVersions(tags).then((versions) => ({ value, versions }))
  }

  readonly #afterScript = (reply: unknown): VersionedEntry<Uint8Array> | undefined => {
    if (reply === null) return undefined
    const r = reply as [Buffer, ...number[]]
    const value = decodeEntry(r[0])
    if (value === undefined) return undefined
    this.#noteTagged(r[0][0] === TAGGED_ENTRY)
    return { value, versions: r.length === 1 ? NO_VERSIONS : (r.slice(1) as number[]) }
  }

  async #readVersions(names: readonly string[]): Promise<number[]> {
    if (names.length === 0) return []
    try {
      const values = await this.client.mget(...names.map((n) => this.#versionPrefix + n))
      return values.map((v) => (v === null ? 0 : Number(v)))
    } catch (error) {
      throw this.#wrap('versions.read', error)
    }
  }

  async #bumpVersions(names: readonly string[]): Promise<number[]> {
    if (names.length === 0) return []
    try {
      const pipe = this.client.multi()
      for (const n of names) pipe.incr(this.#versionPrefix + n)
      const results = await pipe.exec()
      return (results ?? []).map(([err, v]) => {
        if (err) throw err
        return Number(v)
      })
    } catch (error) {
      throw this.#wrap('versions.bump', error)
    }
  }

  /**
   * `MGET`s of at most {@link BATCH_MAX_CALLS} keys (and {@link BATCH_MAX_BYTES}
   * of keys), all in flight at once, so many keys never make one command that
   * blocks Redis; in a Cluster, per slot as well (MGET needs one slot).
   */
  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return []
    const full = keys.map((k) => this.prefix + k)
    this.#tick?.flush()
    const out = new Array<Uint8Array | undefined>(keys.length)
    const reads: Promise<void>[] = []
    for (const group of this.#groups(full)) {
      for (const run of cappedRuns(group, (i) => full[i]!.length)) {
        reads.push(
          this.client.mgetBuffer(...run.map((i) => full[i]!)).then((values) => {
            for (let j = 0; j < run.length; j++) out[run[j]!] = decodeEntry(values[j])
          }),
        )
      }
    }
    try {
      await Promise.all(reads)
      return out
    } catch (error) {
      throw this.#wrap('getMany', error)
    }
  }

  /** The indexes of `full` by hash slot in a Cluster (a multi-key command needs one slot); all of them otherwise. */
  #groups(full: readonly string[]): number[][] {
    return this.#isCluster ? groupBySlot(full) : [full.map((_, i) => i)]
  }

  set(key: string, value: Uint8Array, expiresAt: number, tags?: readonly string[]): Promise<void> {
    const ttl = expiresAt - this.#clock.now()
    const full = this.prefix + key
    if (ttl <= 0) {
      this.#tick?.flush()
      return this.client.unlink(full).then(noop, this.#failSet)
    }
    const px = ttl === Number.POSITIVE_INFINITY ? 0 : Math.ceil(ttl)
    if (this.#tick === undefined) return this.#setNow(full, encodeEntry(value, tags), px).then(noop, this.#failSet)
    return this.#tick.write(full, encodeEntry(value, tags), px)
  }

  /**
   * Replaces the entry under `key` only while it still holds `expected` (the
   * payload `get` returned), in one Lua script: compare, then `SET … PX` (or
   * `UNLINK` when `expiresAt` is past). Sent after this tick's batched reads and
   * writes, so it never overtakes an earlier write of this process.
   */
  compareAndSet(
    key: string,
    expected: Uint8Array,
    value: Uint8Array,
    expiresAt: number,
    tags?: readonly string[],
  ): Promise<boolean> {
    const ttl = expiresAt - this.#clock.now()
    const px = ttl <= 0 ? '-1' : ttl === Number.POSITIVE_INFINITY ? '0' : String(Math.ceil(ttl))
    const args = [this.prefix + key, asBuffer(expected), encodeEntry(value, tags), px] as const
    this.#tick?.flush()
    const script = this.client as unknown as ScriptClient
    return script
      .evalsha(COMPARE_AND_SET_SHA, 1, ...args)
      .catch((error: unknown) => {
        // The script cache is empty after a restart or failover: send the script once.
        if (error instanceof Error && error.message.startsWith('NOSCRIPT'))
          return script.eval(COMPARE_AND_SET, 1, ...args)
        throw error
      })
      .then(isPositive, (error: unknown) => {
        throw this.#wrap('compareAndSet', error)
      })
  }

  /** `SET key bytes [PX px]` (`px` 0: no expiry), at once. */
  #setNow(full: string, bytes: Buffer, px: number): Promise<unknown> {
    return px === 0 ? this.client.set(full, bytes) : this.client.set(full, bytes, 'PX', px)
  }

  /**
   * Pipelines of `SET … PX` (`UNLINK` for an entry already expired), each of
   * at most {@link BATCH_MAX_CALLS} commands and {@link BATCH_MAX_BYTES} of keys
   * and values (a larger entry goes alone), the limits of the per-tick batch.
   * Every pipeline is sent at once, in entry order, on the one connection, so
   * the writes keep their order among themselves and before any later call;
   * one promise for them all, rejected with the first error (the other
   * writes are still made: a pipeline is not a transaction).
   */
  async setMany(entries: readonly StoreWrite<Uint8Array>[]): Promise<void> {
    if (entries.length === 0) return
    this.#tick?.flush()
    const now = this.#clock.now()
    const full = entries.map((e) => this.prefix + e.key)
    const sent: Promise<[Error | null, unknown][] | null>[] = []
    try {
      this.#pipelineWrites(entries, full, now, sent)
      for (const results of await Promise.all(sent)) for (const [err] of results ?? []) if (err) throw err
    } catch (error) {
      // A write that could not be encoded stops the rest; the pipelines already sent must not reject unheard.
      for (const p of sent) p.catch(noop)
      throw this.#wrap('setMany', error)
    }
  }

  /** Sends `entries` as capped pipelines, in order, pushing each pipeline's answer to `sent`. */
  #pipelineWrites(
    entries: readonly StoreWrite<Uint8Array>[],
    full: readonly string[],
    now: number,
    sent: Promise<[Error | null, unknown][] | null>[],
  ): void {
    for (const group of this.#groups(full)) {
      let pipe = this.client.pipeline()
      let calls = 0
      let bytes = 0
      for (const i of group) {
        const e = entries[i]!
        const key = full[i]!
        const ttl = e.expiresAt - now
        // ioredis concatenates a pipeline into one Buffer when it is sent: the caps bound that buffer.
        const encoded = ttl > 0 ? encodeEntry(e.value, e.tags) : undefined
        const size = key.length + (encoded === undefined ? 0 : encoded.byteLength)
        if (calls > 0 && (calls >= BATCH_MAX_CALLS || bytes + size > BATCH_MAX_BYTES)) {
          sent.push(pipe.exec())
          pipe = this.client.pipeline()
          calls = 0
          bytes = 0
        }
        if (encoded === undefined) pipe.unlink(key)
        else if (ttl === Number.POSITIVE_INFINITY) pipe.set(key, encoded)
        else pipe.set(key, encoded, 'PX', Math.ceil(ttl))
        calls++
        bytes += size
      }
      if (calls > 0) sent.push(pipe.exec())
    }
  }

  delete(key: string): Promise<boolean> {
    this.#tick?.flush()
    return this.client.unlink(this.prefix + key).then(isPositive, this.#failDelete)
  }

  /** `UNLINK`s of at most {@link BATCH_MAX_CALLS} keys (and {@link BATCH_MAX_BYTES} of keys), all in flight at once; per slot in a Cluster. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return
    const full = keys.map((k) => this.prefix + k)
    this.#tick?.flush()
    const sent: Promise<number>[] = []
    for (const group of this.#groups(full)) {
      for (const run of cappedRuns(group, (i) => full[i]!.length))
        sent.push(this.client.unlink(...run.map((i) => full[i]!)))
    }
    try {
      await Promise.all(sent)
    } catch (error) {
      throw this.#wrap('deleteMany', error)
    }
  }

  /**
   * Removes every key under `prefix` with SCAN + UNLINK on every master (never
   * KEYS, which blocks the server). Keys written during the scan may survive.
   */
  async clear(prefix = ''): Promise<void> {
    const pattern = `${escapeGlob(this.prefix + prefix)}*`
    const nodes = this.#isCluster ? (this.client as Cluster).nodes('master') : [this.client as Redis]
    this.#tick?.flush()
    try {
      await Promise.all(nodes.map((node) => this.#clearNode(node, pattern)))
    } catch (error) {
      throw this.#wrap('clear', error)
    }
  }

  async #clearNode(node: Redis, pattern: string): Promise<void> {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      if (keys.length === 0) continue
      if (!this.#isCluster) await node.unlink(...keys)
      else await Promise.all(groupBySlot(keys).map((g) => node.unlink(...g.map((i) => keys[i]!))))
    } while (cursor !== '0')
  }

  /**
   * A cross-process lock for `getOrSet(…, { lock })`: `SET NX PX` with a
   * random token, released only by its holder (compare and delete in Lua), so
   * a holder that outlived its `ttl` cannot release someone else's lock.
   */
  async lock(key: string, ttl: number): Promise<(() => Promise<void>) | undefined> {
    const name = `${this.prefix}\u0000lock:${key}`
    const token = randomUUID()
    let ok: string | null
    try {
      ok = await this.client.set(name, token, 'PX', Math.max(1, Math.ceil(ttl)), 'NX')
    } catch (error) {
      throw this.#wrap('lock', error)
    }
    if (ok !== 'OK') return undefined
    return async () => {
      try {
        await this.client.eval(UNLOCK, 1, name, token)
      } catch (error) {
        throw this.#wrap('unlock', error)
      }
    }
  }

  /** Closes the connection the store opened; a client you passed in is left open. */
  async close(): Promise<void> {
    if (this.#closed || !this.#owned) return
    this.#closed = true
    const client = this.client
    if (client.status === 'ready') {
      try {
        await client.quit()
        return
      } catch {}
    }
    client.disconnect()
  }

  #wrap(operation: string, error: unknown): CacheError {
    if (error instanceof CacheError) return error
    let message = error instanceof Error ? error.message : String(error)
    if (this.client.status !== 'ready') {
      const last = this.#lastError === undefined ? '' : `: ${this.#lastError.message}`
      message += ` (not connected to ${this.#target}${last})`
    }
    return new CacheError('ERR_CACHE_UNAVAILABLE', `Redis ${operation} failed (${this.name}): ${message}`, {
      cause: error,
    })
  }

  // Made once, so a call allocates no rejection handler.
  readonly #failGet = (error: unknown): never => {
    throw this.#wrap('get', error)
  }
  readonly #failSet = (error: unknown): never => {
    throw this.#wrap('set', error)
  }
  readonly #failDelete = (error: unknown): never => {
    throw this.#wrap('delete', error)
  }
}

/**
 * A Redis tier. Give a `url`, your own ioredis `client`, `cluster` nodes or
 * `sentinels`.
 *
 * @param options - see {@link RedisStoreOptions}
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` when the connection options are missing or contradict
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { redisStore } from 'cachestack/redis'
 *
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 50_000 }), redisStore({ url: process.env.REDIS_URL })],
 *   ttl: '5m',
 * })
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisTier {
  const store = new RedisStore(options)
  let guarded: Store<Uint8Array>
  try {
    guarded = guardStore(store, options)
  } catch (error) {
    void store.close() // a bad timeout or breaker option must not leave a connection behind
    throw error
  }
  return Object.assign(guarded, {
    client: store.client,
    prefix: store.prefix,
    store,
  }) as RedisTier
}

/**
 * What {@link redisStore} returns: the {@link RedisStore} behind a timeout and
 * a circuit breaker (see `GuardOptions`), with its client at hand.
 */
export interface RedisTier extends GuardedTier {
  /** The ioredis client (a `Cluster` in cluster mode). */
  readonly client: Redis | Cluster
  /** The key prefix. */
  readonly prefix: string
  /** The unguarded store. */
  readonly store: RedisStore
  getWithVersions(key: string): Promise<VersionedEntry<Uint8Array> | undefined>
  close(): Promise<void>
}

function noop(): void {}

/**
 * `indexes` in runs of at most {@link BATCH_MAX_CALLS}, and of at most
 * {@link BATCH_MAX_BYTES} by `size` (one larger than that goes alone), in order.
 */
function cappedRuns(indexes: readonly number[], size: (i: number) => number): number[][] {
  if (indexes.length <= BATCH_MAX_CALLS) {
    let total = 0
    for (const i of indexes) total += size(i)
    if (total <= BATCH_MAX_BYTES) return [indexes as number[]]
  }
  const runs: number[][] = []
  let run: number[] = []
  let bytes = 0
  for (const i of indexes) {
    const n = size(i)
    if (run.length > 0 && (run.length >= BATCH_MAX_CALLS || bytes + n > BATCH_MAX_BYTES)) {
      runs.push(run)
      run = []
      bytes = 0
    }
    run.push(i)
    bytes += n
  }
  if (run.length > 0) runs.push(run)
  return runs
}

/** ioredis statuses of a client still making its (first) connection. */
const WAITING: ReadonlySet<string> = new Set(['wait', 'connecting', 'connect', 'reconnecting'])

/** Where a client connects, as an error message names it. */
function describeTarget(client: Redis | Cluster): string {
  if (client.isCluster) {
    const nodes = (client as unknown as { startupNodes?: ClusterNode[] }).startupNodes ?? []
    return `the cluster at ${nodes.map(nodeAddress).join(', ') || '(no startup nodes)'}`
  }
  const o = (client as Redis).options
  if (o.sentinels && o.sentinels.length > 0) {
    return `master "${o.name}" via the sentinels at ${o.sentinels.map(nodeAddress).join(', ')}`
  }
  return o.path ? o.path : `${o.host ?? 'localhost'}:${o.port ?? 6379}`
}

function nodeAddress(node: ClusterNode | Partial<{ host: string; port: number }>): string {
  if (typeof node === 'number') return `127.0.0.1:${node}`
  if (typeof node === 'string') return node
  return `${node.host ?? '127.0.0.1'}:${node.port ?? 6379}`
}

/** Shared by every untagged hit (never mutated), so such a hit allocates no array. */
const NO_VERSIONS: number[] = []

function isPositive(n: unknown): boolean {
  return (n as number) > 0
}

/** A Buffer view of `bytes` (no copy), as ioredis sends Buffers as they are. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Escapes SCAN MATCH's glob characters so a prefix matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
