/**
 * The sending half shared by the pub/sub buses (Redis, Hazelcast): changes
 * made in one tick go out as one batch, split into messages of bounded size;
 * a message whose send fails or times out is kept, and the kept names are
 * sent again when the transport says it answers again (past `maxPending`
 * they become one "clear everything" message). The transport only moves text.
 * @module
 */
import type { BusMessage, BusStats } from './bus.js'

/** A message on the wire: the sender's id and one list of names. */
export interface BusWire {
  /** Sender id. */
  f: string
  k?: string[]
  t?: string[]
  c?: string[]
}

/** What an outbox needs from the bus that owns it. */
export interface BusOutboxOptions {
  /** The bus's id, stamped on every message. */
  id: string
  /** How long a message may take to send before it is kept for later. */
  timeout: number
  /** The most names kept; past it, they become one "clear everything". */
  maxPending: number
  /** The bus's counters: `published` and `errors` are counted here. */
  stats: BusStats
  /** Sends one message's text; its promise settles when the transport answers. */
  transmit(text: string): Promise<unknown>
  /**
   * Whether an answer from the transport re-sends what is kept: a send that
   * succeeds, or one that timed out but is answered late (a frozen server
   * resumes with its queue). Off for a bus that re-sends when it reconnects.
   */
  resendOnAnswer?: boolean
}

/** @internal the largest number of names in one message; bigger batches are split */
const MAX_NAMES_PER_MESSAGE = 1000

/** Batches, sends and keeps for re-sending what a bus publishes. */
export class BusOutbox {
  readonly #options: BusOutboxOptions
  /** Changes of this tick, sent together. */
  #batch: { keys: Set<string>; tags: Set<string>; clears: Set<string> } | undefined
  #batchSent: Promise<void> | undefined
  /** Changes whose send failed, re-sent later. */
  #pending: Required<BusMessage> = { keys: [], tags: [], clears: [] }
  #closed = false

  constructor(options: BusOutboxOptions) {
    this.#options = options
  }

  /** How many names wait to be sent again. */
  get pending(): number {
    return this.#pending.keys.length + this.#pending.tags.length + this.#pending.clears.length
  }

  /** A copy of the bus's counters, `pending` brought up to date. */
  stats(): BusStats {
    this.#options.stats.pending = this.pending
    return { ...this.#options.stats }
  }

  /** Adds a change to this tick's batch; resolves once the batch is sent or kept. */
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

  /** Sends what is kept, if anything (the transport answers again). */
  resend(): void {
    const p = this.#pending
    if (p.keys.length + p.tags.length + p.clears.length === 0 || this.#closed) return
    this.#pending = { keys: [], tags: [], clears: [] }
    void this.#send(p)
  }

  /** From now on, nothing more is sent or re-sent. */
  close(): void {
    this.#closed = true
  }

  /** Sends a batch, split into messages of bounded size; a failed part is kept for re-sending. */
  async #send(message: Required<BusMessage>): Promise<void> {
    const { id, timeout, stats, resendOnAnswer = false } = this.#options
    const parts: BusWire[] = []
    const push = (field: 'k' | 't' | 'c', names: string[]) => {
      for (let i = 0; i < names.length; i += MAX_NAMES_PER_MESSAGE) {
        parts.push({ f: id, [field]: names.slice(i, i + MAX_NAMES_PER_MESSAGE) })
      }
    }
    // Clears first: a receiver that clears after dropping keys loses nothing it should keep.
    push('c', message.clears)
    push('t', message.tags)
    push('k', message.keys)
    await Promise.all(
      parts.map(async (part) => {
        let timer: NodeJS.Timeout | undefined
        const sent = this.#options.transmit(JSON.stringify(part))
        try {
          await Promise.race([
            sent,
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('bus publish timed out')), timeout)
            }),
          ])
          stats.published++
          // The transport answers again: what an earlier send kept goes now (a frozen
          // server resumes without the connection ever closing, so no reconnect event comes).
          if (resendOnAnswer) this.resend()
        } catch {
          stats.errors++
          this.#keep(part)
          // A send that timed out may still arrive (a frozen server resumes with its
          // queue): its late answer re-sends what is kept, this part included.
          if (resendOnAnswer) {
            sent.then(
              () => this.resend(),
              () => {},
            )
          }
        } finally {
          clearTimeout(timer)
        }
      }),
    )
  }

  #keep(part: BusWire): void {
    const p = this.#pending
    if (part.k) p.keys.push(...part.k)
    if (part.t) p.tags.push(...part.t)
    if (part.c) p.clears.push(...part.c)
    if (p.keys.length + p.tags.length + p.clears.length > this.#options.maxPending) {
      // Too much to replay name by name: every other process drops its local tiers instead.
      this.#pending = { keys: [], tags: [], clears: [''] }
    }
  }
}

/** A received message's text as a wire message, or `undefined` (counted in `errors`) when it is not JSON. */
export function readWire<W extends BusWire>(text: string, stats: BusStats): W | undefined {
  try {
    return JSON.parse(text) as W
  } catch {
    stats.errors++
    return undefined
  }
}

/** The change a received message carries. */
export function wireMessage(wire: BusWire): BusMessage {
  const message: BusMessage = {}
  if (wire.k) message.keys = wire.k
  if (wire.t) message.tags = wire.t
  if (wire.c) message.clears = wire.c
  return message
}
