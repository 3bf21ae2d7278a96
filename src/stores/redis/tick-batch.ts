/**
 * One tick's `GET`s and `SET`s to a standalone or Sentinel Redis, sent
 * together when the tick ends: the reads as one `MGET`, the writes as one
 * command (a Lua script that runs a `SET … PX` per key, so each key keeps its
 * own expiry). Under concurrency this costs Redis and the client's parser far
 * less per key than a command each; a lone read or write still goes out as a
 * plain `GET` or `SET`, a microtask later (no timer: nothing waits).
 *
 * Size: a batch is sent as soon as it holds {@link BATCH_MAX_CALLS} calls or
 * {@link BATCH_MAX_BYTES} bytes, without waiting for the tick to end, and the
 * tick's later calls start a new batch; a value larger than the byte cap goes
 * alone, as a plain `SET`. So a tick of 100,000 sets is 200 commands of a few
 * milliseconds each, not one script that blocks Redis for hundreds of
 * milliseconds (and can outgrow its query buffer).
 *
 * Order: a key read and written in the same tick keeps the order of the calls
 * (the tick is then sent in runs of reads and writes). Batches go out on the
 * one connection in the order they were filled, so splitting keeps the order
 * of calls within a key and across keys. Commands sent outside
 * the batch (`UNLINK`, `MGET` of `getMany`, scripts) call {@link TickBatch.flush}
 * first, so they never overtake an earlier write. Not for a Cluster, whose
 * keys sit on several nodes: the store sends those one by one.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * `SET KEYS[i] ARGV[2i-1] PX ARGV[2i]` for every key (no `PX` where it is `0`).
 * @internal exported for bench/redis-batch.ts
 */
export const SET_MANY = `for i = 1, #KEYS do
  local px = ARGV[i * 2]
  if px == '0' then redis.call('SET', KEYS[i], ARGV[i * 2 - 1])
  else redis.call('SET', KEYS[i], ARGV[i * 2 - 1], 'PX', px) end
end
return #KEYS`
const SET_MANY_SHA = createHash('sha1').update(SET_MANY).digest('hex')

/**
 * The most calls (reads and writes) one batch holds before it is sent. Measured
 * (bench/redis-batch.ts): write throughput is flat from about
 * 100 keys per script call, while the time Redis spends blocked in one call
 * grows with its keys (about 3 ms for 500 `SET`s on the reference machine):
 * 500 keeps a call well under Redis' default slowlog threshold (10 ms).
 */
export const BATCH_MAX_CALLS = 500
/**
 * The most bytes (values and keys written) one batch holds before it is sent:
 * 1 MiB. Keeps one script call's arguments, which Redis holds in its query
 * buffer all at once, small; a larger value is sent alone.
 */
export const BATCH_MAX_BYTES = 1024 * 1024

const READ = 0
const WRITE = 1

interface Settle<T> {
  resolve(value: T): void
  reject(error: unknown): void
}

/** ioredis' script commands with Buffer arguments (typed for strings only). */
interface ScriptClient {
  evalsha(sha: string, keys: number, ...args: (string | Buffer | number)[]): Promise<unknown>
  eval(script: string, keys: number, ...args: (string | Buffer | number)[]): Promise<unknown>
}

/** The calls of one tick, in the order they were made. */
interface Pending {
  reads: string[]
  readDone: Settle<Buffer | null>[]
  /** Key, bytes, `px` (0: no expiry) for each write. */
  writes: (string | Buffer | number)[]
  writeDone: Settle<void>[]
  /** READ or WRITE per call, in call order (only looked at when a key is both read and written). */
  order: number[]
  /** Bytes of the writes' keys and values so far. */
  bytes: number
}

/** @internal The per-tick read and write batch of one {@link RedisStore}. */
export class TickBatch {
  readonly #client: Redis
  readonly #failWrite: (error: unknown) => unknown
  #pending: Pending | undefined

  /**
   * @param client - a standalone or Sentinel client
   * @param failWrite - turns a failed write's error into the error each writer gets
   */
  constructor(client: Redis, failWrite: (error: unknown) => unknown) {
    this.#client = client
    this.#failWrite = failWrite
  }

  /** `GET full` with the other reads of this tick. Rejects with the client's error. */
  read(full: string): Promise<Buffer | null> {
    const p = this.#pending ?? this.#start()
    const done = new Promise<Buffer | null>((resolve, reject) => {
      p.reads.push(full)
      p.readDone.push({ resolve, reject })
      p.order.push(READ)
    })
    if (p.order.length >= BATCH_MAX_CALLS) this.flush()
    return done
  }

  /** `SET full bytes [PX px]` (`px` 0: no expiry) with the other writes of this tick. Rejects with `failWrite(error)`. */
  write(full: string, bytes: Buffer, px: number): Promise<void> {
    const size = bytes.byteLength + full.length
    const open = this.#pending
    // A write that would take the batch over the byte cap starts the next one (alone, when it is that large).
    if (open !== undefined && open.bytes > 0 && open.bytes + size > BATCH_MAX_BYTES) this.flush()
    const p = this.#pending ?? this.#start()
    p.bytes += size
    const done = new Promise<void>((resolve, reject) => {
      p.writes.push(full, bytes, px)
      p.writeDone.push({ resolve, reject })
      p.order.push(WRITE)
    })
    if (p.order.length >= BATCH_MAX_CALLS || p.bytes >= BATCH_MAX_BYTES) this.flush()
    return done
  }

  /** Sends what this tick holds now: before a command that must not overtake it. */
  flush(): void {
    const p = this.#pending
    if (p === undefined) return
    this.#pending = undefined
    if (p.writeDone.length === 0 || p.readDone.length === 0 || !sharesKey(p)) {
      if (p.writeDone.length > 0) this.#sendWrites(p.writes, p.writeDone)
      if (p.readDone.length > 0) this.#sendReads(p.reads, p.readDone)
      return
    }
    // A key both read and written: runs of reads and writes, in call order (Redis runs one connection's commands in order).
    const { order } = p
    let r = 0
    let w = 0
    for (let i = 0; i < order.length; ) {
      const kind = order[i]
      let j = i
      while (j < order.length && order[j] === kind) j++
      const n = j - i
      if (kind === READ) {
        this.#sendReads(p.reads.slice(r, r + n), p.readDone.slice(r, r + n))
        r += n
      } else {
        this.#sendWrites(p.writes.slice(3 * w, 3 * (w + n)), p.writeDone.slice(w, w + n))
        w += n
      }
      i = j
    }
  }

  #start(): Pending {
    const p: Pending = { reads: [], readDone: [], writes: [], writeDone: [], order: [], bytes: 0 }
    this.#pending = p
    queueMicrotask(() => {
      if (this.#pending === p) this.flush()
    })
    return p
  }

  #sendReads(keys: string[], done: Settle<Buffer | null>[]): void {
    if (keys.length === 1) {
      this.#client.getBuffer(keys[0]!).then(done[0]!.resolve, done[0]!.reject)
      return
    }
    this.#client.mgetBuffer(...keys).then(
      (values) => {
        for (let i = 0; i < done.length; i++) done[i]!.resolve(values[i] ?? null)
      },
      (error: unknown) => {
        for (const d of done) d.reject(error)
      },
    )
  }

  #sendWrites(args: (string | Buffer | number)[], done: Settle<void>[]): void {
    const fail = (error: unknown) => {
      const wrapped = this.#failWrite(error)
      for (const d of done) d.reject(wrapped)
    }
    const ok = () => {
      for (const d of done) d.resolve()
    }
    const n = done.length
    if (n === 1) {
      const px = args[2] as number
      const sent =
        px === 0
          ? this.#client.set(args[0] as string, args[1] as Buffer)
          : this.#client.set(args[0] as string, args[1] as Buffer, 'PX', px)
      sent.then(ok, fail)
      return
    }
    // EVALSHA takes the keys, then the other arguments: key₁…keyₙ, bytes₁, px₁, …, bytesₙ, pxₙ.
    const argv = new Array<string | Buffer | number>(3 * n)
    for (let i = 0; i < n; i++) {
      argv[i] = args[3 * i]!
      argv[n + 2 * i] = args[3 * i + 1]!
      argv[n + 2 * i + 1] = args[3 * i + 2]!
    }
    const script = this.#client as unknown as ScriptClient
    script.evalsha(SET_MANY_SHA, n, ...argv).then(ok, (error: unknown) => {
      // The script cache is empty after a restart or failover: send the script once.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT'))
        script.eval(SET_MANY, n, ...argv).then(ok, fail)
      else fail(error)
    })
  }
}

/** Whether a key of the tick is both read and written (then call order matters). */
function sharesKey(p: Pending): boolean {
  const written = new Set<string | Buffer | number>()
  for (let i = 0; i < p.writes.length; i += 3) written.add(p.writes[i]!)
  for (const key of p.reads) if (written.has(key)) return true
  return false
}
