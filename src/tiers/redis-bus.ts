/**
 * The invalidation bus over Redis pub/sub. Two connections: pub/sub needs one
 * of its own, and publishing goes through a second (the user's client, or one
 * made from the URL). Changes made in one tick are sent as one message, and a
 * send that fails is kept and re-sent once Redis answers again.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { type Cluster, Redis, type RedisOptions } from 'ioredis'
import { invalidOption } from '../core/errors.js'
import type { Bus, BusHandlers, BusMessage, BusStats } from './bus.js'
import { BusOutbox, type BusWire, readWire, wireMessage } from './bus-outbox.js'

/** Options of {@link redisBus}. */
export interface RedisBusOptions {
  /** A Redis URL (`redis://host:port/db`). One of `url`, `client` or `cluster` is needed. */
  url?: string
  /**
   * An existing ioredis client or Cluster. The bus duplicates it for its
   * subscriber connection and publishes through it; it does not close it.
   */
  client?: Redis | Cluster
  /** The pub/sub channel; caches that should hear each other use the same one. @defaultValue `'cachestack:bus'` */
  channel?: string
  /** More ioredis options for connections made from `url`. */
  redis?: RedisOptions
  /**
   * The most changed names kept for re-sending while Redis is unreachable;
   * past it, the kept changes become one "clear everything" message.
   * @defaultValue 10_000
   */
  maxPending?: number
  /**
   * How long a change waits to be sent before the write that made it goes on
   * without it (the change is kept and re-sent): the bus never holds the app up.
   * @defaultValue 1000 ms
   */
  timeout?: number
  /**
   * How often the subscriber connection is checked with a `PING` (answered
   * within `timeout`, or the connection is taken for frozen). A connection
   * that stays open but delivers nothing (a frozen server, a partition) would
   * otherwise leave this process deaf to invalidations without knowing: once
   * noticed, the local tiers are dropped (reads go to the shared tier) and the
   * connection is made again, with a second drop once it is back. `false`: no check.
   * @defaultValue 5000 ms
   */
  heartbeat?: number | false
}

class RedisBus implements Bus {
  readonly id = randomUUID()
  #pub: Redis | Cluster
  #sub: Redis | Cluster
  #ownsPub: boolean
  #channel: string
  #timeout: number
  #handlers: BusHandlers | undefined
  #stats: BusStats = { published: 0, received: 0, resyncs: 0, errors: 0, pending: 0 }
  /** Batches what is published; keeps what failed, re-sent on reconnect. */
  #outbox: BusOutbox
  #everConnected = false
  #lost = false
  #closed = false
  #heartbeat: NodeJS.Timeout | undefined
  #pinging = false

  constructor(options: RedisBusOptions) {
    this.#channel = options.channel ?? 'cachestack:bus'
    this.#timeout = options.timeout ?? 1000
    if (options.client !== undefined) {
      this.#pub = options.client
      this.#ownsPub = false
    } else if (options.url !== undefined) {
      this.#pub = new Redis(options.url, { maxRetriesPerRequest: 1, ...options.redis })
      this.#ownsPub = true
    } else {
      throw invalidOption('redisBus', '{ url } or { client }', options)
    }
    const pub = this.#pub
    this.#outbox = new BusOutbox({
      id: this.id,
      timeout: this.#timeout,
      maxPending: options.maxPending ?? 10_000,
      stats: this.#stats,
      transmit: (text) => pub.publish(this.#channel, text),
      resendOnAnswer: true,
    })
    this.#sub = this.#pub.duplicate()
    this.#pub.on('error', () => {
      this.#stats.errors++
    })
    this.#pub.on('ready', () => this.#outbox.resend())
    this.#sub.on('error', () => {
      this.#stats.errors++
    })
    this.#sub.on('close', () => {
      if (this.#everConnected) this.#lost = true
    })
    this.#sub.on('ready', () => {
      // ioredis resubscribes on reconnect; anything published meanwhile was missed.
      if (this.#everConnected && this.#lost && !this.#closed) {
        this.#lost = false
        this.#stats.resyncs++
        this.#handlers?.resync()
      }
      this.#everConnected = true
    })
    this.#sub.on('message', (channel: string, text: string) => this.#receive(channel, text))
    const heartbeat = options.heartbeat ?? 5000
    if (heartbeat !== false) {
      if (typeof heartbeat !== 'number' || !(heartbeat > 0) || !Number.isFinite(heartbeat)) {
        throw invalidOption('heartbeat', 'a number of milliseconds > 0, or false', heartbeat)
      }
      this.#heartbeat = setInterval(() => this.#check(), heartbeat)
      this.#heartbeat.unref()
    }
  }

  /** Pings the subscriber connection; one that does not answer within `timeout` is taken for frozen. */
  #check(): void {
    if (this.#pinging || this.#closed || !this.#everConnected || this.#sub.status !== 'ready') return
    this.#pinging = true
    let timer: NodeJS.Timeout | undefined
    const frozen = new Promise<'frozen'>((resolve) => {
      timer = setTimeout(resolve, this.#timeout, 'frozen')
    })
    Promise.race([this.#sub.ping(), frozen])
      .then((got) => {
        if (got !== 'frozen' || this.#closed) return
        this.#stats.errors++
        this.#lost = true
        // Deaf from now on: what the local tiers hold may have been invalidated meanwhile.
        this.#stats.resyncs++
        this.#handlers?.resync()
        // Reconnect: ioredis resubscribes, and 'ready' drops the local tiers once more.
        this.#sub.disconnect(true)
      })
      .catch(() => {
        // A failed ping: the connection's own 'close' and 'ready' handle it.
      })
      .finally(() => {
        clearTimeout(timer)
        this.#pinging = false
      })
  }

  async join(handlers: BusHandlers): Promise<void> {
    this.#handlers = handlers
    await this.#sub.subscribe(this.#channel)
  }

  publish(message: BusMessage): Promise<void> {
    return this.#outbox.publish(message)
  }

  async flush(): Promise<void> {
    // Redis answers a PING on the subscriber connection after the messages it
    // already queued there, so when the reply comes they have all been handled.
    await this.#sub.ping()
  }

  stats(): BusStats {
    return this.#outbox.stats()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#outbox.close()
    clearInterval(this.#heartbeat)
    this.#sub.disconnect()
    if (this.#ownsPub) {
      try {
        await this.#pub.quit()
      } catch {
        this.#pub.disconnect()
      }
    }
  }

  #receive(channel: string, text: string): void {
    if (channel !== this.#channel || this.#handlers === undefined) return
    const wire = readWire<BusWire>(text, this.#stats)
    if (wire === undefined) return
    if (wire.f === this.id) return
    this.#stats.received++
    this.#handlers.message(wireMessage(wire))
  }
}

/**
 * An invalidation bus over Redis pub/sub: every `set`, `delete`,
 * `invalidateTags` and `clear` in one process drops the affected keys from
 * every other process's in-process tiers within one delivery.
 *
 * @param options - see {@link RedisBusOptions}
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { redisBus, redisStore } from 'cachestack/redis'
 *
 * const cache = createCache({
 *   tiers: [memoryStore(), redisStore({ url: process.env.REDIS_URL })],
 *   bus: redisBus({ url: process.env.REDIS_URL }),
 * })
 * ```
 */
export function redisBus(options: RedisBusOptions): Bus {
  return new RedisBus(options)
}
