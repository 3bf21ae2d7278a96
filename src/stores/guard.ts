/**
 * The one wrapper around every call to a remote or file store: a per-operation
 * timeout, a circuit breaker, and `strict` mode. The Redis, Memcached and
 * SQLite stores all return their store through {@link guardStore}.
 *
 * Timeouts share one timer per store: every operation has the same timeout, so
 * deadlines come in order and a FIFO queue with a single `setTimeout` for its
 * head replaces a timer per call. A store call that returns a plain value
 * (better-sqlite3 is synchronous) is passed through untouched: it cannot be
 * interrupted, and the cache's hit path keeps no promise for it.
 * @module
 */
import { type Clock, systemClock } from '../core/clock.js'
import { type Duration, parseDuration } from '../core/duration.js'
import { CacheError, type CacheErrorCode, invalidOption, isCacheError } from '../core/errors.js'
import type { MaybePromise, SharedVersions, Store, StoreContext, StoreHealth, StoreWrite } from '../core/store.js'
import { type CompressOptions, compressing } from './compress.js'

/** The circuit breaker's settings. */
export interface BreakerOptions {
  /**
   * Consecutive failures (errors or timeouts) that open the circuit.
   * @defaultValue 5
   */
  failures?: number
  /**
   * How long an open circuit skips the store before one probe call is let
   * through (a success closes it; a failure opens it again). Measured on the
   * cache's clock.
   * @defaultValue `'5s'`
   */
  cooldown?: Duration
}

/** Options every guarded store accepts (`redisStore`, `memcachedStore`, `sqliteStore`). */
export interface GuardOptions {
  /**
   * The longest one operation may take before it fails with `ERR_CACHE_TIMEOUT`
   * (the cache then skips the tier: fail-open). `false` for none. A timed-out
   * call is not cancelled; its late answer is ignored. The timer fires up to
   * ~`timeout` late under load (one shared timer), never early. `clear`, which
   * walks the whole keyspace, is exempt (the breaker still applies). An
   * operation issued while the store's first connection is being made (Redis,
   * Memcached: see their `connectTimeout`) starts its timeout once the store is
   * connected.
   * @defaultValue `'1s'`
   */
  timeout?: Duration | false
  /**
   * The circuit breaker: a store that keeps failing is skipped (calls fail at
   * once with `ERR_CACHE_CIRCUIT_OPEN`, counted in `health().skipped`) until its
   * cooldown ends. `false` turns it off.
   * @defaultValue `{ failures: 5, cooldown: '5s' }`
   */
  breaker?: BreakerOptions | false
  /**
   * When true, the store's errors (including timeouts and an open circuit)
   * reject the cache operation instead of being skipped.
   * @defaultValue false
   */
  strict?: boolean
  /**
   * Compress stored values at least `threshold` long (node:zlib Brotli or
   * gzip), when that makes them smaller: less memory in Redis, larger values
   * within Memcached's item size, a smaller SQLite file. `true` for the
   * defaults (`{ threshold: '1kb', algorithm: 'brotli', level: 4 }`). Reads
   * inflate compressed values whether or not this is set, so processes may
   * turn it on one at a time. Costs CPU on the calling thread per write and per
   * read of a compressed value (see bench/compress.ts).
   * @defaultValue off
   */
  compress?: CompressOptions | true
}

/** Errors about the value or the call, not the store's health: they never trip the breaker. */
const CALLER_ERRORS: ReadonlySet<CacheErrorCode> = new Set([
  'ERR_CACHE_KEY',
  'ERR_CACHE_SERIALIZE',
  'ERR_CACHE_DESERIALIZE',
  'ERR_CACHE_INVALID_OPTION',
  'ERR_CACHE_TOO_LARGE',
])

interface Pending {
  deadline: number
  done: boolean
  reject: (error: unknown) => void
  operation: string
}

/**
 * @internal The timeout, breaker and counters of one store. Exposed for
 * stores that guard their own calls (for example a client's own events).
 */
export class Guard {
  readonly #name: string
  readonly #timeout: number
  readonly #threshold: number
  readonly #cooldown: number
  #clock: Clock = systemClock
  #queue: Pending[] = []
  #head = 0
  #timer: NodeJS.Timeout | undefined
  #consecutive = 0
  #openUntil = 0
  #state: StoreHealth['circuit'] = 'closed'
  #probing = false
  /** The store's {@link Store.connecting}, until it has said the store is connected. */
  #connecting: (() => Promise<void> | undefined) | undefined
  /** Errors already counted: operations that failed together count once toward the breaker. */
  readonly #counted = new WeakSet<object>()
  readonly #health: StoreHealth = { circuit: 'closed', failures: 0, timeouts: 0, skipped: 0, opened: 0 }

  /** The longest one operation may take, milliseconds (`Infinity` for none). */
  get timeout(): number {
    return this.#timeout
  }

  /**
   * @param connecting - the store's {@link Store.connecting}: operations issued
   *   before the store is connected start their timeout once it is
   */
  constructor(name: string, options: GuardOptions = {}, connecting?: () => Promise<void> | undefined) {
    this.#name = name
    this.#connecting = connecting
    this.#timeout =
      options.timeout === false ? Number.POSITIVE_INFINITY : parseDuration(options.timeout ?? 1000, 'timeout')
    if (options.breaker === false) {
      this.#threshold = Number.POSITIVE_INFINITY
      this.#cooldown = 0
    } else {
      if (options.breaker !== undefined && (options.breaker === null || typeof options.breaker !== 'object')) {
        throw invalidOption('breaker', 'an object { failures, cooldown } or false', options.breaker)
      }
      const failures = options.breaker?.failures ?? 5
      if (!Number.isInteger(failures) || failures < 1) {
        throw invalidOption('breaker.failures', 'an integer ≥ 1', failures)
      }
      this.#threshold = failures
      this.#cooldown = parseDuration(options.breaker?.cooldown ?? 5000, 'breaker.cooldown')
    }
  }

  /** Uses the cache's clock for the breaker's cooldown. */
  setClock(clock: Clock): void {
    this.#clock = clock
  }

  /** A copy of the counters and the circuit state. */
  health(): StoreHealth {
    if (this.#state === 'open' && this.#clock.now() >= this.#openUntil) this.#state = 'half-open'
    return { ...this.#health, circuit: this.#state }
  }

  /**
   * Runs one store operation through the breaker and the timeout. A plain
   * (synchronous) result is returned as is.
   */
  run<R>(operation: string, fn: () => MaybePromise<R>): MaybePromise<R> {
    if (this.#state !== 'closed') this.#admit(operation)
    let result: MaybePromise<R>
    try {
      result = fn()
    } catch (error) {
      this.#failure(error)
      throw error
    }
    if (!(result instanceof Promise)) {
      this.#success()
      return result
    }
    // A clear walks the whole keyspace (SCAN): its time grows with the data, not with the server's health.
    if (this.#timeout === Number.POSITIVE_INFINITY || operation === 'clear') {
      return result.then(
        (value) => {
          this.#success()
          return value
        },
        (error: unknown) => {
          this.#failure(error)
          throw error
        },
      )
    }
    const connect = this.#connecting === undefined ? undefined : this.#whileConnecting()
    return new Promise<R>((resolve, reject) => {
      const op: Pending = { deadline: 0, done: false, reject, operation }
      if (connect === undefined) this.#enqueue(op)
      else {
        // Connecting is not the operation's time: its timeout starts when the store is ready.
        connect.then(
          () => {
            if (!op.done) this.#enqueue(op)
          },
          (error: unknown) => {
            if (op.done) return
            op.done = true
            this.#failure(error)
            reject(error)
          },
        )
      }
      result.then(
        (value) => {
          if (op.done) return
          op.done = true
          this.#success()
          resolve(value)
        },
        (error: unknown) => {
          if (op.done) return
          op.done = true
          this.#failure(error)
          reject(error)
        },
      )
    })
  }

  /** The store's wait for its first connection, or `undefined` (for good) once it is connected. */
  #whileConnecting(): Promise<void> | undefined {
    const wait = this.#connecting!()
    if (wait === undefined) this.#connecting = undefined
    return wait
  }

  /** Starts `op`'s timeout now. Deadlines are pushed in the order they fall, which the single timer relies on. */
  #enqueue(op: Pending): void {
    op.deadline = performance.now() + this.#timeout
    this.#queue.push(op)
    if (this.#timer === undefined) this.#arm()
  }

  /** Throws `ERR_CACHE_CIRCUIT_OPEN` unless the circuit lets this call through. */
  #admit(operation: string): void {
    if (this.#state === 'open' && this.#clock.now() >= this.#openUntil) this.#state = 'half-open'
    if (this.#state === 'half-open' && !this.#probing) {
      this.#probing = true
      return
    }
    this.#health.skipped++
    throw new CacheError(
      'ERR_CACHE_CIRCUIT_OPEN',
      `Store "${this.#name}" is skipped (${operation}): it failed ${this.#threshold} times in a row; the next try is after its cooldown.`,
    )
  }

  #success(): void {
    this.#consecutive = 0
    if (this.#state !== 'closed') {
      this.#state = 'closed'
      this.#probing = false
    }
  }

  #failure(error: unknown): void {
    if (error instanceof CacheError && CALLER_ERRORS.has(error.code)) {
      // A bad value says nothing about the store; a probe that hit one still proved nothing.
      this.#probing = false
      return
    }
    // One failure shared by many operations (a group commit, a batched command) is one failure of the store.
    if (typeof error === 'object' && error !== null) {
      if (this.#counted.has(error)) return
      this.#counted.add(error)
    }
    this.#health.failures++
    if (isCacheError(error, 'ERR_CACHE_TIMEOUT')) this.#health.timeouts++
    this.#consecutive++
    if (this.#state === 'half-open' || this.#consecutive >= this.#threshold) {
      if (this.#state !== 'open') this.#health.opened++
      this.#state = 'open'
      this.#probing = false
      this.#openUntil = this.#clock.now() + this.#cooldown
    }
  }

  #arm(): void {
    const head = this.#queue[this.#head]
    if (head === undefined) return
    const wait = Math.max(0, head.deadline - performance.now())
    this.#timer = setTimeout(() => this.#expire(), wait + 1)
    this.#timer.unref?.()
  }

  #expire(): void {
    this.#timer = undefined
    const now = performance.now()
    const q = this.#queue
    while (this.#head < q.length) {
      const op = q[this.#head]!
      if (!op.done) {
        if (op.deadline > now) break
        op.done = true
        const error = new CacheError(
          'ERR_CACHE_TIMEOUT',
          `Store "${this.#name}" did not answer ${op.operation} within ${this.#timeout} ms: raise its timeout option or check the server.`,
        )
        this.#failure(error)
        op.reject(error)
      }
      this.#head++
    }
    if (this.#head === q.length) {
      this.#queue = []
      this.#head = 0
    } else if (this.#head > 1024) {
      this.#queue = q.slice(this.#head)
      this.#head = 0
    }
    this.#arm()
  }
}

/**
 * A byte tier behind {@link guardStore} (Redis, Memcached): every operation
 * answers with a promise, and the shared version counters are always there.
 */
export interface GuardedTier extends Store<Uint8Array> {
  readonly versions: SharedVersions
  init(ctx: StoreContext): void
  get(key: string): Promise<Uint8Array | undefined>
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>
  set(key: string, value: Uint8Array, expiresAt: number, tags?: readonly string[]): Promise<void>
  setMany(entries: readonly StoreWrite<Uint8Array>[]): Promise<void>
  delete(key: string): Promise<boolean>
  deleteMany(keys: readonly string[]): Promise<void>
  clear(prefix?: string): Promise<void>
}

/**
 * Wraps a store so that each operation has a timeout, a store that keeps
 * failing is skipped for a while (circuit breaker), and `strict` makes its
 * errors propagate. The result is a {@link Store} with `health()`.
 *
 * @param store - the store to guard
 * @param options - see {@link GuardOptions}
 * @example
 * ```ts
 * const store = guardStore(myRemoteStore, { timeout: '200ms', breaker: { failures: 3, cooldown: '10s' } })
 * const cache = createCache({ tiers: [memoryStore(), store] })
 * ```
 */
export function guardStore<V>(store: Store<V>, options: GuardOptions = {}): Store<V> {
  if (options.strict !== undefined && typeof options.strict !== 'boolean') {
    throw invalidOption('strict', 'a boolean', options.strict)
  }
  if (options.compress !== undefined && !store.binary) {
    throw invalidOption('compress', 'given only to a store of bytes (Redis, Memcached, SQLite)', options.compress)
  }
  // A byte store always inflates on read: a value compressed by another process is read as any other.
  const s = store.binary
    ? (compressing(store as unknown as Store<Uint8Array>, options.compress) as unknown as Store<V>)
    : store
  const guard = new Guard(s.name, options, s.connecting?.bind(s))
  const guarded: Store<V> & { strict: boolean } = {
    name: s.name,
    timeout: guard.timeout,
    binary: s.binary,
    strict: options.strict ?? false,
    init(ctx: StoreContext) {
      guard.setClock(ctx.clock)
      s.init?.(ctx)
    },
    get: (key) => guard.run('get', () => s.get(key)),
    set: (key, value, expiresAt, tags) => guard.run('set', () => s.set(key, value, expiresAt, tags)),
    delete: (key) => guard.run('delete', () => s.delete(key)),
    clear: (prefix) => guard.run('clear', () => s.clear(prefix)),
    health: () => guard.health(),
    close: () => s.close?.(),
  }
  if (s.getMany !== undefined) guarded.getMany = (keys) => guard.run('getMany', () => s.getMany!(keys))
  if (s.setMany !== undefined) guarded.setMany = (entries) => guard.run('setMany', () => s.setMany!(entries))
  if (s.deleteMany !== undefined) guarded.deleteMany = (keys) => guard.run('deleteMany', () => s.deleteMany!(keys))
  if (s.size !== undefined) guarded.size = () => guard.run('size', () => s.size!())
  if (s.compareAndSet !== undefined) {
    guarded.compareAndSet = (key, expected, value, expiresAt, tags) =>
      guard.run('compareAndSet', () => s.compareAndSet!(key, expected, value, expiresAt, tags))
  }
  if (s.getWithVersions !== undefined) {
    guarded.getWithVersions = (key) => guard.run('get', () => s.getWithVersions!(key))
  }
  if (s.lock !== undefined) {
    const lock = s.lock.bind(s)
    // Async, so an open circuit or a store that throws rejects the promise `lock` promises instead of throwing.
    // The release is a call to the store too: it gets the timeout and the breaker, so a hung server cannot
    // hold up the getOrSet that awaits it.
    guarded.lock = async (key, ttl) => {
      const release = await guard.run('lock', () => lock(key, ttl))
      return release === undefined ? undefined : async () => guard.run('unlock', release)
    }
  }
  if (s.versions !== undefined) {
    const v = s.versions
    const versions: SharedVersions = {
      read: (names) => guard.run('versions.read', () => v.read(names)),
      bump: (names) => guard.run('versions.bump', () => v.bump(names)),
    }
    ;(guarded as { versions?: SharedVersions }).versions = versions
  }
  return guarded
}
