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

interface Wire {
  /** Sender id. */
  f: string
  k?: string[]
  t?: string[]
  c?: string[]
  /** A flush marker: only its sender acts on it. */
  p?: string
}

const MAX_NAMES_PER_MESSAGE = 1000
/** How often a bus whose client gave up on the cluster tries a new one. */
const RECONNECT_EVERY_MS = 1000

class HazelcastBus implements Bus {
  readonly id = randomUUID()
  readonly #connection: HazelcastConnection
  readonly #topicName: string
  readonly #maxPending: number
  readonly #timeout: number
  #handlers: BusHandlers | undefined
  #topic: ITopic<string> | undefined
  #listenerId: string | undefined
  #subscribedTo: HazelcastClient | undefined
  #subscribing: Promise<ITopic<string>> | undefined
  #lost = false
  #closed = false
  #timer: NodeJS.Timeout | undefined
  readonly #stats: BusStats = { published: 0, received: 0, resyncs: 0, errors: 0, pending: 0 }
  #batch: { keys: Set<string>; tags: Set<string>; clears: Set<string> } | undefined
  #batchSent: Promise<void> | undefined
  #pending: Required<BusMessage> = { keys: [], tags: [], clears: [] }
  readonly #flushes = new Map<string, () => void>()

  constructor(options: HazelcastBusOptions) {
    this.#connection = new HazelcastConnection(options, 'hazelcastBus')
    this.#topicName = options.topic ?? 'cachestack.bus'
    if (typeof this.#topicName !== 'string' || this.#topicName === '') {
      throw invalidOption('topic', 'a non-empty topic name', options.topic)
    }
    this.#maxPending = options.maxPending ?? 10_000
    this.#timeout = options.timeout ?? 1000
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
      this.#resend()
      return topic
    })().finally(() => {
      this.#subscribing = undefined
    })
    return this.#subscribing
  }

  publish(message: BusMessage): Promise<void> {
    if (this.#closed) return Promise.resolve()
    let batch = this.#batch
    if (batch === undefined) {
      batch = { keys: new Set(), tags: new Set(), clears: new Set() }
      this.#batch = batch
      this.#batchSent = new Promise<void>((resolve) => {
        queueMicrotask(() => {
          this.#batch = undefined
          this.#send({ keys: [...batch!.keys], tags: [...batch!.tags], clears: [...batch!.clears] }).then(resolve)
        })
      })
    }
    if (message.keys) for (const k of message.keys) batch.keys.add(k)
    if (message.tags) for (const t of message.tags) batch.tags.add(t)
    if (message.clears) for (const c of message.clears) batch.clears.add(c)
    return this.#batchSent!
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
    this.#stats.pending = this.#pending.keys.length + this.#pending.tags.length + this.#pending.clears.length
    return { ...this.#stats }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    if (this.#topic !== undefined && this.#listenerId !== undefined) {
      try {
        this.#topic.removeMessageListener(this.#listenerId)
      } catch {}
    }
    await this.#connection.close()
  }

  /** Sends a batch, split into messages of bounded size; a failed part is kept for re-sending. */
  async #send(message: Required<BusMessage>): Promise<void> {
    const parts: Wire[] = []
    const push = (field: 'k' | 't' | 'c', names: string[]) => {
      for (let i = 0; i < names.length; i += MAX_NAMES_PER_MESSAGE) {
        parts.push({ f: this.id, [field]: names.slice(i, i + MAX_NAMES_PER_MESSAGE) })
      }
    }
    // Clears first: a receiver that clears after dropping keys loses nothing it should keep.
    push('c', message.clears)
    push('t', message.tags)
    push('k', message.keys)
    await Promise.all(
      parts.map(async (part) => {
        let timer: NodeJS.Timeout | undefined
        try {
          await Promise.race([
            this.#subscribe(false).then((topic) => topic.publish(JSON.stringify(part))),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('bus publish timed out')), this.#timeout)
            }),
          ])
          this.#stats.published++
        } catch {
          this.#stats.errors++
          this.#keep(part)
        } finally {
          clearTimeout(timer)
        }
      }),
    )
  }

  #keep(part: Wire): void {
    const p = this.#pending
    if (part.k) p.keys.push(...part.k)
    if (part.t) p.tags.push(...part.t)
    if (part.c) p.clears.push(...part.c)
    if (p.keys.length + p.tags.length + p.clears.length > this.#maxPending) {
      // Too much to replay name by name: every other process drops its local tiers instead.
      this.#pending = { keys: [], tags: [], clears: [''] }
    }
  }

  #resend(): void {
    const p = this.#pending
    if (p.keys.length + p.tags.length + p.clears.length === 0 || this.#closed) return
    this.#pending = { keys: [], tags: [], clears: [] }
    void this.#send(p)
  }

  #receive(text: unknown): void {
    if (typeof text !== 'string' || this.#handlers === undefined) return
    let wire: Wire
    try {
      wire = JSON.parse(text) as Wire
    } catch {
      this.#stats.errors++
      return
    }
    if (wire.f === this.id) {
      if (wire.p !== undefined) this.#flushes.get(wire.p)?.()
      return
    }
    if (wire.p !== undefined) return
    this.#stats.received++
    const message: BusMessage = {}
    if (wire.k) message.keys = wire.k
    if (wire.t) message.tags = wire.t
    if (wire.c) message.clears = wire.c
    this.#handlers.message(message)
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
