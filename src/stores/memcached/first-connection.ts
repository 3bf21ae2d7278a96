/**
 * The first connection of a {@link MemcachedStore}'s memjs client, as Redis'
 * `connectTimeout` bounds ioredis' (see `Store.connecting`). memjs opens a
 * server's socket with the first command sent to it, and then times each
 * request from when it is written, so the store's first operations would pay
 * for the TCP handshake, SASL and a slow first answer, and could time out and
 * trip the breaker before the server was ever reached.
 *
 * So the first operation starts a ready check instead: a binary-protocol
 * `NOOP` to every server, sent again while the server stays silent (memjs
 * gives up on one request after its own `timeout`). Operations wait for their
 * key's server to answer before they are sent, and the guard starts their
 * timeout once every server has answered. A server that refuses the connection
 * (or fails any other way than silence) ends its wait at once: the operations
 * then go out and fail with that error, as they would have. When
 * `connectTimeout` lapses first, the waiting operations fail with
 * `ERR_CACHE_UNAVAILABLE` naming the servers that never answered. Only the
 * first connection: after it, every operation is sent at once and timed as
 * usual, so a server that dies later is skipped quickly.
 * @module
 */
import memjs from 'memjs'
import { CacheError } from '../../core/errors.js'

/** The binary protocol's `NOOP`: the server answers it and does nothing else. */
const NOOP = 0x0a
const IDLE = 0
const CONNECTING = 1
const OVER = 2

interface ServerWait {
  promise: Promise<void>
  resolve(): void
  reject(error: CacheError): void
}

function noop(): void {}

/** @internal The first connection of one Memcached store's client. */
export class FirstConnection {
  readonly #client: memjs.Client
  readonly #timeout: number
  readonly #name: string
  #state = IDLE
  /** The wait of each server that has not answered yet. */
  readonly #waits = new Map<memjs.Server, ServerWait>()
  #all: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #lastError: unknown

  /**
   * @param client - the store's memjs client (its own or the user's)
   * @param timeout - `connectTimeout`, in ms
   * @param name - the store's name, for errors
   */
  constructor(client: memjs.Client, timeout: number, name: string) {
    this.#client = client
    this.#timeout = timeout
    this.#name = name
  }

  /** Whether the first connection is over (answered, failed or given up): the store then sends at once. */
  get over(): boolean {
    return this.#state === OVER
  }

  /**
   * Until every server has answered (or failed, or `connectTimeout` lapsed), a
   * promise that resolves then, or rejects with `ERR_CACHE_UNAVAILABLE` naming
   * the silent servers; then `undefined`. The first call starts the ready check.
   */
  all(): Promise<void> | undefined {
    if (this.#state === IDLE) this.#start()
    return this.#state === OVER ? undefined : this.#all
  }

  /** The wait of the server that holds `item`, or `undefined` when it has answered (or the connection is over). */
  forKey(item: string): Promise<void> | undefined {
    if (this.#state === IDLE) this.#start()
    if (this.#state === OVER) return undefined
    const server = this.#client.server(item)
    return server === undefined ? undefined : this.#waits.get(server)?.promise
  }

  /** Fails the waits of a client closed before it connected. */
  close(): void {
    if (this.#state === CONNECTING) this.#giveUp('the store was closed before it connected')
    this.#state = OVER
  }

  #start(): void {
    const client = this.#client
    const servers = (client as Partial<memjs.Client>).servers
    // A client that is not memjs' own (a stand-in, a wrapper) has nothing we can probe: send at once.
    if (!Array.isArray(servers) || servers.length === 0 || typeof client.incrSeq !== 'function') {
      this.#state = OVER
      return
    }
    this.#state = CONNECTING
    const promises: Promise<void>[] = []
    for (const server of servers as memjs.Server[]) {
      let resolve = noop
      let reject: (error: CacheError) => void = noop
      const promise = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      promise.catch(noop) // a server no operation waited for must not be an unhandled rejection
      this.#waits.set(server, { promise, resolve, reject })
      promises.push(promise)
    }
    this.#all = Promise.all(promises).then(noop)
    this.#all.catch(noop)
    this.#timer = setTimeout(() => this.#giveUp(`within ${this.#timeout} ms`), this.#timeout)
    this.#timer.unref?.()
    for (const server of servers as memjs.Server[]) this.#probe(server)
  }

  /** Sends a `NOOP` to `server`; again after memjs times it out, until the server answers or the wait ends. */
  #probe(server: memjs.Server): void {
    const client = this.#client
    client.incrSeq()
    const seq = client.seq
    server.onResponse(seq, () => this.#settle(server))
    server.onError(seq, (error: unknown) => {
      if (!this.#waits.has(server)) return
      this.#lastError = error
      // Silence (memjs' request or connect timeout) is what the wait is for; any other error ends it.
      if (error instanceof Error && /timed out/.test(error.message)) this.#probe(server)
      else this.#settle(server)
    })
    server.write(memjs.Utils.makeRequestBuffer(NOOP, '', '', '', seq))
  }

  /** `server` answered or failed for a reason other than silence: its operations go out now. */
  #settle(server: memjs.Server): void {
    const wait = this.#waits.get(server)
    if (wait === undefined) return
    this.#waits.delete(server)
    wait.resolve()
    if (this.#waits.size === 0) this.#end()
  }

  /** Rejects every server still silent with one error (the breaker counts it once). */
  #giveUp(why: string): void {
    if (this.#waits.size === 0) return
    const silent = [...this.#waits.keys()].map((s) => `${s.host}:${s.port}`).join(', ')
    const last = this.#lastError
    const lastText = last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : String(last)})`
    const error = new CacheError(
      'ERR_CACHE_UNAVAILABLE',
      `Memcached (${this.#name}) could not connect to ${silent} ${why}${lastText}: check that the server is up and reachable from this host, or raise connectTimeout.`,
      last === undefined ? undefined : { cause: last },
    )
    for (const wait of this.#waits.values()) wait.reject(error)
    this.#waits.clear()
    this.#end()
  }

  #end(): void {
    clearTimeout(this.#timer)
    this.#state = OVER
  }
}
