/**
 * The invalidation bus over a Hazelcast reliable topic: L1 tiers invalidate
 * across processes with no Redis at all. Changes made in one tick go out as
 * one message (names only, never values); a send that fails is kept and sent
 * again once the cluster answers. The topic is a ringbuffer on the members,
 * read in order by each listener, so `flush()` publishes a marker and waits
 * for it to come back: everything published before it has been delivered.
 *
 * When the client lost the cluster and has it back (or made a new client
 * after giving up), messages may have been missed: the bus listens again and
 * tells the cache to drop its local tiers (`resync`).
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { ITopic } from 'hazelcast-client'
import { invalidOption } from '../../core/errors.js'
import type { Bus, BusHandlers, BusMessage, BusStats } from '../../tiers/bus.js'
import { BusOutbox, type BusWire, readWire, wireMessage } from '../../tiers/bus-outbox.js'
import { type HazelcastClient, HazelcastConnection, type HazelcastConnectionOptions } from './hazelcast-connection.js'

/** Options of {@link hazelcastBus}. Give `members` or `client`. */
export interface HazelcastBusOptions extends HazelcastConnectionOptions {
  /** The reliable topic; caches that should hear each other use the same one. @defaultValue `'cachestack.bus'` */
  topic?: string
  /**
   * The most changed names kept for re-sending while the cluster is
   * unreachable; past it, the kept changes become one "clear everything" message.
   * @defaultValue 10_000
   */
  maxPending?: number
  /**
   * How long a change waits to be sent before the write that made it goes on
   * without it (the change is kept and re-sent): the bus never holds the app up.
   * @defaultValue 1000 ms
   */
  timeout?: number
}

interface Wire extends BusWire {
  /** A flush marker: only its sender acts on it. */
  p?: string
}

/** How often a bus whose client gave up on the cluster tries a new one. */
const RECONNECT_EVERY_MS = 1000

class HazelcastBus implements Bus {
  readonly id = randomUUID()
  readonly #connection: HazelcastConnection
  readonly #topicName: string
  #handlers: BusHandlers | undefined
  #topic: ITopic<string> | undefined
  #listenerId: string | undefined
  #subscribedTo: HazelcastClient | undefined
  #subscribing: Promise<ITopic<string>> | undefined
  #lost = false
  #closed = false
  #timer: NodeJS.Timeout | undefined
  readonly #stats: BusStats = { published: 0, received: 0, resyncs: 0, errors: 0, pending: 0 }
  /** Batches what is published; keeps what failed, re-sent once listening again. */
  readonly #outbox: BusOutbox
  readonly #flushes = new Map<string, () => void>()

  constructor(options: HazelcastBusOptions) {
    this.#connection = new HazelcastConnection(options, 'hazelcastBus')
    this.#topicName = options.topic ?? 'cachestack.bus'
    if (typeof this.#topicName !== 'string' || this.#topicName === '') {
      throw invalidOption('topic', 'a non-empty topic name', options.topic)
    }
    this.#outbox = new BusOutbox({
      id: this.id,
      timeout: options.timeout ?? 1000,
      maxPending: options.maxPending ?? 10_000,
      stats: this.#stats,
      transmit: (text) => this.#subscribe(false).then((topic) => topic.publish(text)),
    })
    this.#connection.watch((state) => {
      if (state === 'DISCONNECTED') this.#lost = true
      else if (state === 'CONNECTED' && this.#lost) {
        this.#lost = false
        void this.#subscribe(true).catch(() => this.#stats.errors++)
      }
    })
  }

  async join(handlers: BusHandlers): Promise<void> {
    this.#handlers = handlers
    this.#timer = setInterval(() => {
      // A client that gave up on a lost cluster shut down: make a new one, and listen on it.
      if (this.#connection.client === undefined && this.#subscribing === undefined) {
        void this.#subscribe(true).catch(() => this.#stats.errors++)
      }
    }, RECONNECT_EVERY_MS)
    this.#timer.unref?.()
    await this.#subscribe(false)
  }

  /** Listens on the topic of the current client (once per client); `resync` after a loss. */
  #subscribe(resync: boolean): Promise<ITopic<string>> {
    const current = this.#connection.client
    if (this.#topic !== undefined && current !== undefined && current === this.#subscribedTo && !resync) {
      return Promise.resolve(this.#topic)
    }
    this.#subscribing ??= (async () => {
      const client = await this.#connection.connect()
      if (this.#topic !== undefined && this.#listenerId !== undefined) {
        try {
          this.#topic.removeMessageListener(this.#listenerId)
        } catch {}
      }
      const topic = await client.getReliableTopic<string>(this.#topicName)
      this.#listenerId = topic.addMessageListener((m) => this.#receive(m.messageObject))
      const fresh = this.#subscribedTo !== undefined
      this.#topic = topic
      this.#subscribedTo = client
      if ((resync || fresh) && this.#handlers !== undefined && !this.#closed) {
        this.#stats.resyncs++
        this.#handlers.resync()
      }
      this.#outbox.resend()
      return topic
    })().finally(() => {
      this.#subscribing = undefined
    })
    return this.#subscribing
  }

  publish(message: BusMessage): Promise<void> {
    return this.#outbox.publish(message)
  }

  /** Publishes a marker and resolves once this listener has read it back (or after 5 s). */
  async flush(): Promise<void> {
    const nonce = randomUUID()
    let timer: NodeJS.Timeout | undefined
    const seen = new Promise<void>((resolve) => {
      this.#flushes.set(nonce, resolve)
      timer = setTimeout(resolve, 5000)
    })
    try {
      const topic = await this.#subscribe(false)
      await topic.publish(JSON.stringify({ f: this.id, p: nonce } satisfies Wire))
      await seen
    } finally {
      clearTimeout(timer)
      this.#flushes.delete(nonce)
    }
  }

  stats(): BusStats {
    return this.#outbox.stats()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#outbox.close()
    clearInterval(this.#timer)
    if (this.#topic !== undefined && this.#listenerId !== undefined) {
      try {
        this.#topic.removeMessageListener(this.#listenerId)
      } catch {}
    }
    await this.#connection.close()
  }

  #receive(text: unknown): void {
    if (typeof text !== 'string' || this.#handlers === undefined) return
    const wire = readWire<Wire>(text, this.#stats)
    if (wire === undefined) return
    if (wire.f === this.id) {
      if (wire.p !== undefined) this.#flushes.get(wire.p)?.()
      return
    }
    if (wire.p !== undefined) return
    this.#stats.received++
    this.#handlers.message(wireMessage(wire))
  }
}

/**
 * An invalidation bus over a Hazelcast reliable topic: every `set`, `delete`,
 * `invalidateTags` and `clear` in one process drops the affected keys from
 * every other process's in-process tiers, with no Redis.
 *
 * @param options - see {@link HazelcastBusOptions}
 * @example
 * ```ts
 * import { createCache, memoryStore } from 'cachestack'
 * import { hazelcastBus, hazelcastStore } from 'cachestack/hazelcast'
 *
 * const members = '10.0.0.5:5701,10.0.0.6:5701'
 * const cache = createCache({
 *   tiers: [memoryStore(), hazelcastStore({ members, clusterName: 'shop' })],
 *   bus: hazelcastBus({ members, clusterName: 'shop' }),
 * })
 * ```
 */
export function hazelcastBus(options: HazelcastBusOptions): Bus {
  return new HazelcastBus(options)
}
