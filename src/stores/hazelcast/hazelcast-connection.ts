/**
 * The Hazelcast client a store (or bus) uses: your own, or one it starts and
 * owns. Starting one is asynchronous (`Client.newHazelcastClient` resolves once
 * the cluster answered), so the connection is made on first use, and callers
 * wait for it within `connectTimeout`; later, the client reconnects by itself
 * (a cluster that went away and came back is found again without a restart).
 * @module
 */
import { Client, type ClientConfig, ReconnectMode } from 'hazelcast-client'

/** A connected hazelcast-client client. */
export type HazelcastClient = Client

import { type Duration, parseDuration } from '../../core/duration.js'
import { CacheError, invalidOption } from '../../core/errors.js'

/** How a store or bus reaches a Hazelcast cluster. Give `members` or `client`. */
export interface HazelcastConnectionOptions {
  /** Your own connected client (`await Client.newHazelcastClient(…)`). It is never shut down for you. */
  client?: HazelcastClient
  /** Member addresses, `'host:port'`, as a comma-separated string or an array. */
  members?: string | readonly string[]
  /** The cluster's name (members join only a cluster of their own name). @defaultValue `'dev'` */
  clusterName?: string
  /**
   * Extra client configuration, merged over the store's (see the
   * hazelcast-client docs): TLS, credentials, `properties`. The store sets
   * `connectionStrategy.connectionRetry` to retry for ever with a backoff up
   * to 2 s, and `hazelcast.logging.level` to `'OFF'` (the tier's errors are
   * counted in its health instead); set them here to change that.
   */
  clientConfig?: ClientConfig
  /**
   * How long the first connection may take before operations waiting for it
   * fail with `ERR_CACHE_UNAVAILABLE` (the client goes on trying; operations
   * after that fail at once until it is connected).
   * @defaultValue `'10s'`
   */
  connectTimeout?: Duration
}

/** A client, connecting or connected, for one store or bus. */
export class HazelcastConnection {
  /** The connected client, once there is one. */
  client: HazelcastClient | undefined
  readonly #owned: boolean
  readonly #config: ClientConfig | undefined
  readonly #describe: string
  #pending: Promise<HazelcastClient> | undefined
  /** Whether the first connection is over (made, or given up): from then on operations are timed as usual. */
  #firstOver = false
  #closed = false
  readonly #watchers = new Set<(state: string) => void>()

  constructor(options: HazelcastConnectionOptions, label: string) {
    if ((options.members === undefined) === (options.client === undefined)) {
      throw invalidOption(label, 'given exactly one of members or client', options.members ?? 'none')
    }
    const connectTimeout = parseDuration(options.connectTimeout ?? 10_000, 'connectTimeout')
    if (options.client !== undefined) {
      this.client = options.client
      this.#owned = false
      this.#firstOver = true
      this.#describe = 'your Hazelcast client'
      return
    }
    const members = typeof options.members === 'string' ? options.members.split(',') : options.members
    if (!Array.isArray(members) || members.length === 0 || members.some((m) => typeof m !== 'string' || m === '')) {
      throw invalidOption('members', "'host:port', a comma-separated list or an array of them", options.members)
    }
    const clusterName = options.clusterName ?? 'dev'
    if (typeof clusterName !== 'string' || clusterName === '') {
      throw invalidOption('clusterName', 'a non-empty string', clusterName)
    }
    const extra = options.clientConfig ?? {}
    const addresses = members.map((m) => m.trim())
    this.#owned = true
    this.#describe = `the Hazelcast cluster "${clusterName}" at ${addresses.join(', ')}`
    this.#config = {
      ...extra,
      clusterName,
      network: { ...extra.network, clusterMembers: addresses },
      connectionStrategy: {
        reconnectMode: ReconnectMode.ON,
        ...extra.connectionStrategy,
        asyncStart: false,
        connectionRetry: {
          initialBackoffMillis: 100,
          maxBackoffMillis: 2000,
          multiplier: 1.5,
          jitter: 0.2,
          // Also how long a lost cluster is retried before the client shuts down (a new one is then made on next use).
          clusterConnectTimeoutMillis: connectTimeout,
          ...extra.connectionStrategy?.connectionRetry,
        },
      },
      lifecycleListeners: [...(extra.lifecycleListeners ?? []), (state) => this.#onState(state)],
      properties: { 'hazelcast.logging.level': 'OFF', ...extra.properties },
    }
  }

  /** Where the client connects, as an error message names it. */
  get target(): string {
    return this.#describe
  }

  /**
   * While the first connection is being made, a promise that resolves once it
   * is, or rejects with `ERR_CACHE_UNAVAILABLE` when the client gave up
   * (`connectTimeout`); `undefined` from then on.
   */
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

  /** The client, connecting one on first use (and after a client gave up on a lost cluster). */
  connect(): Promise<HazelcastClient> {
    if (this.client !== undefined) return Promise.resolve(this.client)
    if (this.#closed) return Promise.reject(this.#closedError())
    this.#pending ??= this.#start()
    return this.#pending
  }

  #start(): Promise<HazelcastClient> {
    return Client.newHazelcastClient(this.#config).then(
      (client) => {
        this.#pending = undefined
        if (this.#closed) {
          void client.shutdown()
          throw this.#closedError()
        }
        this.#firstOver = true
        this.client = client
        return client
      },
      (error: unknown) => {
        this.#pending = undefined
        throw new CacheError('ERR_CACHE_UNAVAILABLE', `Could not connect to ${this.#describe}: ${String(error)}`, {
          cause: error,
        })
      },
    )
  }

  /**
   * Calls `watcher` with each lifecycle state of the clients this connection
   * makes (`'CONNECTED'`, `'DISCONNECTED'`, `'SHUTDOWN'`, …). Not for a client you passed in.
   */
  watch(watcher: (state: string) => void): void {
    this.#watchers.add(watcher)
  }

  /** A client that gave up on a lost cluster shuts itself down: the next use makes a new one. */
  #onState(state: string): void {
    if (state === 'SHUTDOWN' && !this.#closed) this.client = undefined
    for (const watcher of this.#watchers) watcher(state)
  }

  #closedError(): CacheError {
    return new CacheError('ERR_CACHE_CLOSED', `The connection to ${this.#describe} was closed.`)
  }

  /** Shuts down the client this connection started; your own client is left as it is. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (!this.#owned) return
    const client = this.client ?? (await this.#pending?.catch(() => undefined))
    this.client = undefined
    await client?.shutdown()
  }
}
