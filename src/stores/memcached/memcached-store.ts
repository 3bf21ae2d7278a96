/**
 * The Memcached tier, on memjs (binary protocol). Keys Memcached refuses are
 * hashed, with the original kept in the store's header so a collision is a
 * miss; values over the server's item size are refused with
 * `ERR_CACHE_TOO_LARGE`; tag and namespace versions are shared counters
 * (`incr`), so invalidation reaches every process. Operations issued while
 * the client first connects wait for their server and are timed from when it
 * has answered (`connecting()`, bounded by `connectTimeout`; first-connection.ts).
 * @module
 */
import { createHash, randomUUID } from 'node:crypto'
import memjs from 'memjs'
import type { Clock } from '../../core/clock.js'
import { type Duration, parseDuration, parseSize, type Size } from '../../core/duration.js'
import { CacheError, invalidOption } from '../../core/errors.js'
import type { MaybePromise, SharedVersions, Store, StoreContext, StoreWrite } from '../../core/store.js'
import { type GuardedTier, type GuardOptions, guardStore } from '../guard.js'
import { FirstConnection } from './first-connection.js'
import { decodeItem, encodeItem, hashedKey, validKey } from './memcached-entry.js'

/** A memjs client, as `memjs.Client.create()` returns it. */
export type MemjsClient = memjs.Client

/** Options of {@link memcachedStore}. Give `servers` or `client`. */
export interface MemcachedStoreOptions extends GuardOptions {
  /** `'host:port'`, a comma-separated list, or an array of them (`user:pass@host:port` for SASL). */
  servers?: string | readonly string[]
  /** Your own memjs client. The store never closes it. */
  client?: MemjsClient
  /**
   * Prepended to every key. Memcached cannot list keys, so clearing relies on
   * version counters (see the docs); the prefix keeps apps apart.
   * @defaultValue `'cachestack:'`
   */
  prefix?: string
  /**
   * The server's largest item (`memcached -I`, 1 MB by default). Larger values
   * are refused with `ERR_CACHE_TOO_LARGE` before they are sent.
   * @defaultValue `'1mb'`
   */
  maxItemSize?: Size
  /**
   * Whether `clear()` of the whole store may run `flush_all`, which empties
   * the entire server (every app's keys). Only for a Memcached this cache owns.
   * @defaultValue false
   */
  flushOnClear?: boolean
  /** Extra memjs client options (retries, keepAlive, …). */
  memjsOptions?: memjs.ClientOptions & memjs.ServerOptions
  /** The tier's name in stats and errors. @defaultValue `'memcached'` */
  name?: string
  /**
   * How long the client's first connection may take: memjs connects to a
   * server with the first command for it, so this is counted from the store's
   * first operation, and covers TCP, SASL and the server's first answer (a
   * `NOOP` to every server, sent again while a server stays silent).
   * Operations issued meanwhile wait for their server, and their `timeout`
   * starts once every server has answered; when `connectTimeout` lapses first
   * they fail with `ERR_CACHE_UNAVAILABLE` naming the silent servers, and later
   * operations get their plain `timeout`. A refused connection ends the wait at
   * once (the operations then fail with `ECONNREFUSED`). Only the first
   * connection: after it, a reconnect counts against `timeout`. memjs' own
   * `memjsOptions.timeout` still bounds each request it sends.
   * @defaultValue `'10s'`
   */
  connectTimeout?: Duration
}

/** Memcached's per-item bookkeeping (item header, CAS, suffix), kept free below `maxItemSize`. */
const ITEM_OVERHEAD = 64
/** 30 days: Memcached reads a larger expiry as an absolute Unix time. */
const RELATIVE_LIMIT_S = 30 * 24 * 3600
/** Binary-protocol opcodes and statuses used by `compareAndSet`. */
const OP_GET = 0x00
const OP_SET = 0x01
const OP_ADD = 0x02
const OP_DELETE = 0x04
const STATUS_NOT_FOUND = 0x01
const STATUS_EXISTS = 0x02
const EMPTY = Buffer.alloc(0)
const systemClock: Clock = { now: Date.now }
const silent = { log() {} }

/** A {@link Store} in Memcached. Create it with {@link memcachedStore}. */
export class MemcachedStore implements Store<Uint8Array> {
  readonly name: string
  readonly binary = true
  /** The memjs client. */
  readonly client: MemjsClient
  /** The key prefix. */
  readonly prefix: string
  /** Shared tag and namespace versions: Memcached counters (`incr`). */
  readonly versions: SharedVersions
  readonly #maxItem: number
  readonly #flushOnClear: boolean
  readonly #owned: boolean
  #clock: Clock = systemClock
  /** The client's first connection: operations wait for it, the guard times them from its end. */
  readonly #first: FirstConnection

  /** @param options - see {@link MemcachedStoreOptions} */
  constructor(options: MemcachedStoreOptions) {
    if ((options.servers === undefined) === (options.client === undefined)) {
      throw invalidOption('memcachedStore', 'given exactly one of servers or client', options.servers ?? 'none')
    }
    this.name = options.name ?? 'memcached'
    this.prefix = options.prefix ?? 'cachestack:'
    if (typeof this.prefix !== 'string' || !validKey(`${this.prefix}x`) || this.prefix.length > 100) {
      throw invalidOption('prefix', 'at most 100 bytes with no spaces or control characters', this.prefix)
    }
    this.#maxItem = parseSize(options.maxItemSize ?? 1024 * 1024, 'maxItemSize')
    this.#flushOnClear = options.flushOnClear ?? false
    const connectTimeout = parseDuration(options.connectTimeout ?? 10_000, 'connectTimeout')
    if (options.client !== undefined) {
      this.client = options.client
      this.#owned = false
    } else {
      const servers = Array.isArray(options.servers) ? options.servers.join(',') : options.servers
      if (typeof servers !== 'string' || servers === '') {
        throw invalidOption('servers', "'host:port', a comma-separated list or an array of them", options.servers)
      }
      this.client = memjs.Client.create(servers, { retries: 1, logger: silent, ...options.memjsOptions })
      this.#owned = true
    }
    this.versions = { read: (names) => this.#readVersions(names), bump: (names) => this.#bumpVersions(names) }
    this.#first = new FirstConnection(this.client, connectTimeout, this.name)
  }

  /**
   * While the client's first connection is being made (from the first
   * operation, up to `connectTimeout`), a promise that resolves once every
   * server has answered and rejects with `ERR_CACHE_UNAVAILABLE` naming the
   * silent servers when it lapses or the store is closed; then `undefined`.
   * The guard starts operations' timeouts when it resolves.
   */
  connecting(): Promise<void> | undefined {
    return this.#first.over ? undefined : this.#first.all()
  }

  init(ctx: StoreContext): void {
    this.#clock = ctx.clock
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const full = this.prefix + key
    const plain = validKey(full)
    const item = plain ? full : hashedKey(this.prefix, key)
    try {
      if (!this.#first.over) await this.#first.forKey(item)
      const { value } = await this.client.get(item)
      return decodeItem(value, this.#clock.now(), plain ? undefined : key)
    } catch (error) {
      throw this.#wrap('get', error)
    }
  }

  /** memjs has no multi-get; the gets go out together on each server's one connection. */
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return Promise.all(keys.map((k) => this.get(k)))
  }

  async set(key: string, value: Uint8Array, expiresAt: number): Promise<void> {
    const full = this.prefix + key
    const plain = validKey(full)
    const now = this.#clock.now()
    const item = plain ? full : hashedKey(this.prefix, key)
    try {
      if (!this.#first.over) await this.#first.forKey(item)
      if (expiresAt <= now) {
        await this.client.delete(item)
        return
      }
      const bytes = encodeItem(value, expiresAt, plain ? undefined : key)
      if (bytes.byteLength + Buffer.byteLength(item) + ITEM_OVERHEAD > this.#maxItem) throw this.#tooLarge(key, bytes)
      await this.client.set(item, bytes, { expires: expirySeconds(expiresAt - now) })
    } catch (error) {
      throw this.#wrap('set', error, key)
    }
  }

  /**
   * Replaces the item under `key` only while it still holds `expected` (the
   * payload `get` returned): a get that returns the item's CAS value, then a
   * set (or, for an expiry already past, a delete) carrying it, which
   * Memcached refuses if anyone wrote or deleted the item in between.
   */
  async compareAndSet(key: string, expected: Uint8Array, value: Uint8Array, expiresAt: number): Promise<boolean> {
    const full = this.prefix + key
    const plain = validKey(full)
    const item = plain ? full : hashedKey(this.prefix, key)
    try {
      // As every operation: sent once the key's server has answered (its timeout starts then).
      if (!this.#first.over) await this.#first.forKey(item)
      const found = await this.#perform(item, OP_GET, EMPTY, EMPTY, undefined)
      if (found === undefined) return false
      const now = this.#clock.now()
      const payload = decodeItem(found.value, now, plain ? undefined : key)
      if (payload === undefined || Buffer.compare(payload, expected) !== 0) return false
      if (expiresAt <= now) return (await this.#perform(item, OP_DELETE, EMPTY, EMPTY, found.cas)) !== undefined
      const bytes = encodeItem(value, expiresAt, plain ? undefined : key)
      if (bytes.byteLength + Buffer.byteLength(item) + ITEM_OVERHEAD > this.#maxItem) throw this.#tooLarge(key, bytes)
      const extras = Buffer.alloc(8)
      extras.writeUInt32BE(expirySeconds(expiresAt - now), 4)
      return (await this.#perform(item, OP_SET, extras, bytes, found.cas)) !== undefined
    } catch (error) {
      throw this.#wrap('compareAndSet', error, key)
    }
  }

  /**
   * One binary-protocol request through memjs' own connections (memjs sends
   * no CAS value and returns none): resolves the reply's value and CAS, or
   * `undefined` for "not found" and "exists" (a CAS that no longer matches).
   */
  #perform(
    item: string,
    opcode: number,
    extras: Buffer,
    body: Uint8Array,
    cas: Buffer | undefined,
  ): Promise<{ value: Buffer; cas: Buffer } | undefined> {
    const client = this.client
    client.incrSeq()
    const seq = client.seq
    const request = memjs.Utils.makeRequestBuffer(
      opcode,
      item,
      extras,
      Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      seq,
    )
    if (cas !== undefined) cas.copy(request, 16)
    return new Promise((resolve, reject) => {
      client.perform(item, request, seq, (error: Error | null, response: memjs.Response) => {
        if (error !== null && error !== undefined) return reject(error)
        const status = response.header.status
        if (status === 0) resolve({ value: response.val, cas: response.header.cas })
        else if (status === STATUS_NOT_FOUND || status === STATUS_EXISTS) resolve(undefined)
        else reject(new Error(`Memcached replied with status ${status}`))
      })
    })
  }

  async setMany(entries: readonly StoreWrite<Uint8Array>[]): Promise<void> {
    await Promise.all(entries.map((e) => this.set(e.key, e.value, e.expiresAt)))
  }

  async delete(key: string): Promise<boolean> {
    const full = this.prefix + key
    const item = validKey(full) ? full : hashedKey(this.prefix, key)
    try {
      if (!this.#first.over) await this.#first.forKey(item)
      return await this.client.delete(item)
    } catch (error) {
      throw this.#wrap('delete', error)
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => this.delete(k)))
  }

  /**
   * Memcached cannot list keys. A namespace is cleared by its version counter
   * (the cache bumps it before calling this), so its entries are never served
   * again and age out; this call then has nothing left to do. Clearing the
   * whole store runs `flush_all` with `flushOnClear: true`, and otherwise
   * throws `ERR_CACHE_INVALID_OPTION` rather than pretend.
   */
  async clear(prefix = ''): Promise<void> {
    if (prefix !== '') return
    if (!this.#flushOnClear) {
      throw new CacheError(
        'ERR_CACHE_INVALID_OPTION',
        `memcachedStore "${this.name}" cannot clear only its own keys (Memcached has no key listing): pass flushOnClear: true if this Memcached holds only this cache's data (clear() then empties the whole server), or clear namespaces instead (cache.namespace(name).clear()).`,
      )
    }
    try {
      if (!this.#first.over) await this.#first.all()
      await this.client.flush()
    } catch (error) {
      throw this.#wrap('clear', error)
    }
  }

  /**
   * A cross-process lock for `getOrSet(…, { lock })`, as a lease: `add` of a
   * random token (which fails while the item exists, on every client of the
   * same servers) that expires after `ttl` (rounded up to whole seconds, at
   * least one: Memcached's granularity). It is released only by its holder:
   * a read of the token with its CAS value, then a delete with that CAS, so a
   * holder that outlived its lease cannot drop the next holder's lock.
   */
  async lock(key: string, ttl: number): Promise<(() => Promise<void>) | undefined> {
    const item = `${this.prefix}lock#${createHash('sha256').update(key, 'utf8').digest('base64url')}`
    const token = Buffer.from(randomUUID(), 'utf8')
    const extras = Buffer.alloc(8)
    extras.writeUInt32BE(expirySeconds(Math.max(1, ttl)), 4)
    try {
      if (!this.#first.over) await this.#first.forKey(item)
      if ((await this.#perform(item, OP_ADD, extras, token, undefined)) === undefined) return undefined
    } catch (error) {
      throw this.#wrap('lock', error, key)
    }
    return async () => {
      try {
        const held = await this.#perform(item, OP_GET, EMPTY, EMPTY, undefined)
        if (held === undefined || Buffer.compare(held.value, token) !== 0) return
        await this.#perform(item, OP_DELETE, EMPTY, EMPTY, held.cas)
      } catch (error) {
        throw this.#wrap('unlock', error, key)
      }
    }
  }

  /** Closes the connections the store opened; a client you passed in is left open. */
  close(): void {
    this.#first.close()
    if (this.#owned) this.client.close()
  }

  #counterKey(name: string): string {
    return `${this.prefix}v#${createHash('sha256').update(name, 'utf8').digest('base64url')}`
  }

  /**
   * A counter that is missing (never bumped, or evicted by Memcached's LRU) is
   * created at a random base rather than 0: a counter that comes back after an
   * eviction must not return to a version some entry recorded, which would make
   * an invalidated entry current again. memjs reads counters as 32-bit, so the
   * base is below 2^31.
   */
  async #readVersions(names: readonly string[]): Promise<number[]> {
    try {
      return await Promise.all(names.map((n) => this.#incr(n, 0)))
    } catch (error) {
      throw this.#wrap('versions.read', error)
    }
  }

  async #bumpVersions(names: readonly string[]): Promise<number[]> {
    try {
      return await Promise.all(names.map((n) => this.#incr(n, 1)))
    } catch (error) {
      throw this.#wrap('versions.bump', error)
    }
  }

  async #incr(name: string, by: number): Promise<number> {
    const initial = 1 + Math.floor(Math.random() * 2 ** 31)
    const item = this.#counterKey(name)
    if (!this.#first.over) await this.#first.forKey(item)
    const { value } = await this.client.increment(item, by, { initial, expires: 0 })
    return value ?? initial
  }

  #tooLarge(key: string, bytes: Uint8Array): CacheError {
    return new CacheError(
      'ERR_CACHE_TOO_LARGE',
      `Value for "${key.length > 60 ? `${key.slice(0, 60)}…` : key}" is ${bytes.byteLength} bytes; ${this.name} accepts items up to ${this.#maxItem} bytes (maxItemSize, memcached -I). Store a smaller value, pass compress: true to memcachedStore (values are compressed before this check), or start memcached with a larger -I and raise maxItemSize.`,
    )
  }

  #wrap(operation: string, error: unknown, key?: string): CacheError {
    if (error instanceof CacheError) return error
    const message = error instanceof Error ? error.message : String(error)
    if (/too large/i.test(message)) {
      return new CacheError(
        'ERR_CACHE_TOO_LARGE',
        `${this.name} refused the value${key === undefined ? '' : ` for "${key.slice(0, 60)}"`} as too large (its item size, memcached -I): store a smaller value, pass compress: true, or raise -I and maxItemSize.`,
        { cause: error },
      )
    }
    return new CacheError('ERR_CACHE_UNAVAILABLE', `Memcached ${operation} failed (${this.name}): ${message}`, {
      cause: error,
    })
  }
}

/** Memcached's expiry field for a TTL in ms: whole seconds, absolute Unix time past 30 days. */
function expirySeconds(ttl: number): number {
  if (ttl === Number.POSITIVE_INFINITY) return 0
  const seconds = Math.max(1, Math.ceil(ttl / 1000))
  return seconds <= RELATIVE_LIMIT_S ? seconds : Math.ceil(Date.now() / 1000) + seconds
}

/**
 * What {@link memcachedStore} returns: the {@link MemcachedStore} behind a
 * timeout and a circuit breaker, with its client at hand.
 */
export interface MemcachedTier extends GuardedTier {
  /** The memjs client. */
  readonly client: MemjsClient
  /** The unguarded store. */
  readonly store: MemcachedStore
  close(): MaybePromise<void>
}

/**
 * A Memcached tier on memjs.
 *
 * @param options - see {@link MemcachedStoreOptions}
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` for missing servers or a prefix Memcached cannot hold
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { memcachedStore } from 'cachestack/memcached'
 *
 * const cache = createCache({
 *   tiers: [memoryStore({ maxEntries: 50_000 }), memcachedStore({ servers: '127.0.0.1:11211' })],
 *   ttl: '5m',
 * })
 * ```
 */
export function memcachedStore(options: MemcachedStoreOptions): MemcachedTier {
  const store = new MemcachedStore(options)
  return Object.assign(guardStore(store, options), { client: store.client, store }) as MemcachedTier
}
