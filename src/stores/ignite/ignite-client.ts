/**
 * The part of apache-ignite-client (Ignite's Node.js thin client, an optional
 * peer without type declarations) the Ignite store uses, typed here, and the
 * connection the store keeps: the thin client does not reconnect by itself,
 * so a lost connection is made again on next use.
 * @module
 */
import { type Duration, parseDuration } from '../../core/duration.js'
import { CacheError, invalidOption } from '../../core/errors.js'
import { loadPeer } from '../../core/optional-peer.js'

/** A key-value pair as the thin client returns it. */
export interface IgniteCacheEntry<K, V> {
  getKey(): K
  getValue(): V
}

/** A query cursor. */
export interface IgniteCursor<K, V> {
  getValue(): Promise<IgniteCacheEntry<K, V> | null>
  hasMore(): boolean
  close(): Promise<void>
}

/** The thin client's cache operations the store uses. */
export interface IgniteCache<K, V> {
  setKeyType(type: unknown): IgniteCache<K, V>
  setValueType(type: unknown): IgniteCache<K, V>
  get(key: K): Promise<V | null>
  getAll(keys: K[]): Promise<IgniteCacheEntry<K, V>[]>
  put(key: K, value: V): Promise<void>
  putAll(entries: IgniteCacheEntry<K, V>[]): Promise<void>
  putIfAbsent(key: K, value: V): Promise<boolean>
  getAndPutIfAbsent(key: K, value: V): Promise<V | null>
  replaceIfEquals(key: K, value: V, newValue: V): Promise<boolean>
  removeIfEquals(key: K, value: V): Promise<boolean>
  removeKey(key: K): Promise<boolean>
  getAndRemove(key: K): Promise<V | null>
  removeKeys(keys: K[]): Promise<void>
  removeAll(): Promise<void>
  getSize(): Promise<number>
  query(query: unknown): Promise<IgniteCursor<K, V>>
}

/** An apache-ignite-client `IgniteClient`. */
export interface IgniteClient {
  connect(config: unknown): Promise<void>
  disconnect(): void
  getOrCreateCache(name: string): Promise<IgniteCache<unknown, unknown>>
}

/** The module apache-ignite-client exports. */
export interface IgniteModule {
  new (onStateChanged?: (state: number, reason?: unknown) => void): IgniteClient
  STATE: { DISCONNECTED: number; CONNECTING: number; CONNECTED: number }
  IgniteClientConfiguration: new (...endpoints: string[]) => unknown
  CacheEntry: new <K, V>(key: K, value: V) => IgniteCacheEntry<K, V>
  ScanQuery: new () => { setPageSize(size: number): unknown }
  ObjectType: { PRIMITIVE_TYPE: { STRING: number; DOUBLE: number } }
}

/** How a store reaches Ignite. Give `endpoints` or `client`. */
export interface IgniteConnectionOptions {
  /** Thin-client endpoints, `'host:port'` (port 10800 by default on the server), as a comma-separated string or an array. */
  endpoints?: string | readonly string[]
  /** Your own connected `IgniteClient`. It is never disconnected for you, nor reconnected. */
  client?: IgniteClient
  /**
   * How long a connection may take before the operations waiting for it fail
   * with `ERR_CACHE_UNAVAILABLE`.
   * @defaultValue `'10s'`
   */
  connectTimeout?: Duration
}

/** The thin client, connected on first use and again after it lost its server. */
export class IgniteConnection {
  readonly lib: IgniteModule
  client: IgniteClient | undefined
  readonly #endpoints: string[]
  readonly #owned: boolean
  readonly #connectTimeout: number
  #pending: Promise<IgniteClient> | undefined
  #firstOver = false
  #closed = false
  /** Bumped on each connection, so a cache handle taken on an old one is looked up again. */
  generation = 0

  constructor(options: IgniteConnectionOptions) {
    if ((options.endpoints === undefined) === (options.client === undefined)) {
      throw invalidOption('igniteStore', 'given exactly one of endpoints or client', options.endpoints ?? 'none')
    }
    this.lib = loadPeer<IgniteModule>('apache-ignite-client', 'igniteStore (cachestack/ignite)')
    this.#connectTimeout = parseDuration(options.connectTimeout ?? 10_000, 'connectTimeout')
    if (options.client !== undefined) {
      this.client = options.client
      this.#owned = false
      this.#firstOver = true
      this.#endpoints = []
      return
    }
    const list = typeof options.endpoints === 'string' ? options.endpoints.split(',') : options.endpoints
    if (!Array.isArray(list) || list.length === 0 || list.some((e) => typeof e !== 'string' || e.trim() === '')) {
      throw invalidOption('endpoints', "'host:port', a comma-separated list or an array of them", options.endpoints)
    }
    this.#endpoints = list.map((e) => e.trim())
    this.#owned = true
  }

  /** Where the client connects, as an error message names it. */
  get target(): string {
    return this.#owned ? `Ignite at ${this.#endpoints.join(', ')}` : 'your Ignite client'
  }

  /** While the first connection is being made, a promise of it; `undefined` from then on. */
  connecting(): Promise<void> | undefined {
    if (this.#firstOver || this.#closed) return undefined
    return this.connect().then(
      () => undefined,
      (error: unknown) => {
        this.#firstOver = true
        throw error
      },
    )
  }

  /** The connected client, connecting (again) when there is none. */
  connect(): Promise<IgniteClient> {
    if (this.client !== undefined) return Promise.resolve(this.client)
    if (this.#closed) return Promise.reject(new CacheError('ERR_CACHE_CLOSED', `The ${this.target} store was closed.`))
    this.#pending ??= this.#start().finally(() => {
      this.#pending = undefined
    })
    return this.#pending
  }

  async #start(): Promise<IgniteClient> {
    const lib = this.lib
    let client: IgniteClient | undefined
    const onState = (state: number) => {
      // The thin client does not reconnect: the next operation makes a new connection.
      if (state === lib.STATE.DISCONNECTED && this.client === client) this.client = undefined
    }
    client = new lib(onState)
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        client.connect(new lib.IgniteClientConfiguration(...this.#endpoints)),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.#connectTimeout} ms (connectTimeout)`)),
            this.#connectTimeout,
          )
        }),
      ])
    } catch (error) {
      client.disconnect()
      throw new CacheError(
        'ERR_CACHE_UNAVAILABLE',
        `Could not connect to ${this.target}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      )
    } finally {
      clearTimeout(timer)
    }
    if (this.#closed) {
      client.disconnect()
      throw new CacheError('ERR_CACHE_CLOSED', `The ${this.target} store was closed.`)
    }
    this.#firstOver = true
    this.generation++
    this.client = client
    return client
  }

  /** Disconnects the client this connection made; your own is left as it is. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (!this.#owned) return
    const client = this.client ?? (await this.#pending?.catch(() => undefined))
    this.client = undefined
    client?.disconnect()
  }
}
