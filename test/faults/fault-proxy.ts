/**
 * A TCP fault proxy of the project's own: it sits between the library and a
 * server (Redis, Memcached, PostgreSQL…) on a loopback port and, on command,
 * adds latency, refuses, resets, swallows (blackhole: accepts and never
 * answers) or cuts an answer off mid-way. Only 127.0.0.1 on both sides.
 * @module
 */
import net from 'node:net'

/** What the proxy does to traffic. */
export type Fault =
  | { kind: 'none' }
  /** Every chunk each way waits `ms` first. */
  | { kind: 'latency'; ms: number }
  /** New connections are closed at once, before a byte; open ones are kept. */
  | { kind: 'drop' }
  /** Every connection, open or new, is reset (RST). */
  | { kind: 'reset' }
  /**
   * Nothing gets through either way, and nothing is closed: a partition, or a
   * server too stuck to read. New connections are accepted and never answered.
   * What was sent meanwhile is held, and delivered in order when the fault
   * ends (as TCP retransmits once a partition heals).
   */
  | { kind: 'blackhole' }
  /** Answers pass until `bytes` more have reached the client on a connection, then it is reset mid-response. */
  | { kind: 'cut'; bytes: number }

interface Pair {
  client: net.Socket
  server: net.Socket | undefined
  /** Bytes of answer passed since the fault was set. */
  passed: number
  /** Chunks held by a blackhole, with the socket each is for. */
  held: [Buffer, net.Socket][]
}

/** The fault proxy: `url`-style `host:port` of its listening side, and `set(fault)`. */
export class FaultProxy {
  readonly #target: { host: string; port: number }
  readonly #server: net.Server
  readonly #pairs = new Set<Pair>()
  #fault: Fault = { kind: 'none' }
  port = 0

  constructor(targetPort: number, targetHost = '127.0.0.1') {
    this.#target = { host: targetHost, port: targetPort }
    this.#server = net.createServer((client) => this.#accept(client))
  }

  /** Listens on a free loopback port. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.port = (this.#server.address() as net.AddressInfo).port
    return this
  }

  /** The proxy's address, `127.0.0.1:port`. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  /** Open client connections. */
  get connections(): number {
    return this.#pairs.size
  }

  /** Changes what happens to traffic from now on (`reset` also resets every open connection). */
  set(fault: Fault): void {
    this.#fault = fault
    for (const p of this.#pairs) {
      p.passed = 0
      if (fault.kind !== 'blackhole') {
        const held = p.held
        p.held = []
        for (const [chunk, to] of held) this.#forward(p, chunk, to, to === p.client)
      }
    }
    if (fault.kind === 'reset') for (const p of [...this.#pairs]) this.#destroy(p, true)
  }

  /** Resets every open connection (a network blip), whatever the fault. */
  resetAll(): void {
    for (const p of [...this.#pairs]) this.#destroy(p, true)
  }

  async close(): Promise<void> {
    for (const p of [...this.#pairs]) this.#destroy(p, false)
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(client: net.Socket): void {
    const f = this.#fault
    if (f.kind === 'drop') {
      client.destroy()
      return
    }
    if (f.kind === 'reset') {
      client.resetAndDestroy()
      return
    }
    const pair: Pair = { client, server: undefined, passed: 0, held: [] }
    this.#pairs.add(pair)
    client.on('error', () => this.#destroy(pair, false))
    client.on('close', () => this.#destroy(pair, false))
    const server = net.connect(this.#target.port, this.#target.host)
    pair.server = server
    server.on('error', () => this.#destroy(pair, true))
    server.on('close', () => this.#destroy(pair, false))
    client.on('data', (chunk: Buffer) => this.#forward(pair, chunk, server, false))
    server.on('data', (chunk: Buffer) => this.#forward(pair, chunk, client, true))
  }

  #forward(pair: Pair, chunk: Buffer, to: net.Socket, answer: boolean): void {
    const f = this.#fault
    if (f.kind === 'blackhole') {
      pair.held.push([chunk, to])
      return
    }
    if (f.kind === 'cut' && answer) {
      const room = f.bytes - pair.passed
      if (room <= 0) {
        this.#destroy(pair, true)
        return
      }
      if (chunk.length > room) {
        to.write(chunk.subarray(0, room), () => this.#destroy(pair, true))
        pair.passed = f.bytes
        return
      }
      pair.passed += chunk.length
    }
    if (f.kind === 'latency') {
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk)
      }, f.ms)
      return
    }
    if (!to.destroyed) to.write(chunk)
  }

  #destroy(pair: Pair, reset: boolean): void {
    if (!this.#pairs.delete(pair)) return
    if (reset) {
      if (!pair.client.destroyed) pair.client.resetAndDestroy()
    } else pair.client.destroy()
    pair.server?.destroy()
  }
}

/** Starts a fault proxy in front of `127.0.0.1:targetPort`. */
export function faultProxy(targetPort: number): Promise<FaultProxy> {
  return new FaultProxy(targetPort).listen()
}
