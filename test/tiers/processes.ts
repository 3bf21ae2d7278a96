/** Spawns and drives cache processes (test/tiers/fixtures/cache-process.ts) over IPC. */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./fixtures/cache-process.ts', import.meta.url))

/**
 * A child process holding one cache; `call` runs one of its ops and resolves its result.
 * `fixture` is the child's script (an IPC loop like fixtures/cache-process.ts).
 */
export class CacheProcess {
  readonly child: ChildProcess
  readonly name: string
  #next = 0
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #ready: Promise<void>

  constructor(name: string, fixture = script) {
    this.name = name
    this.child = fork(fixture, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.#ready = new Promise((resolve, reject) => {
      this.child.once('error', reject)
      this.child.on('message', (msg: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
        if (msg.ready) return resolve()
        const p = this.#pending.get(msg.id!)
        if (p === undefined) return
        this.#pending.delete(msg.id!)
        if (msg.error !== undefined) p.reject(new Error(`${this.name}: ${msg.error}`))
        else p.resolve(msg.result)
      })
    })
  }

  async call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    await this.#ready
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.child.send({ id, op, args })
    })
  }

  async stop(): Promise<void> {
    try {
      await this.call('close')
    } finally {
      this.child.kill()
    }
  }
}

/** A seeded generator, so a failing random sequence can be replayed. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}
