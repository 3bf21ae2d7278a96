import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import {
  type CacheError,
  createCache,
  type Envelope,
  guardStore,
  manualClock,
  memoryStore,
  type Store,
} from '../../src/index.js'
import { sqliteStore } from '../../src/sqlite.js'
import { waitFor } from '../helpers/servers.js'

/** A store that answers, throws, or never answers, as the test says (a chaos wrapper over memory). */
function chaosStore(name = 'chaos') {
  const inner = memoryStore()
  const state = { mode: 'ok' as 'ok' | 'throw' | 'hang', calls: 0 }
  const store: Store<Envelope> = {
    name,
    binary: false,
    get: (key) => act(state, () => inner.get(key)),
    set: (key, value, expiresAt) => act(state, () => inner.set(key, value, expiresAt)),
    delete: (key) => act(state, () => inner.delete(key)),
    clear: (prefix) => act(state, () => inner.clear(prefix)),
  }
  // binary: false would make it the sync first tier; put it second, behind memory, as a remote tier sits.
  return { store, state }
}

/** Runs `fn` as a chaos store's call would: counted, and answered, refused or left hanging as `state.mode` says. */
function act<R>(state: { mode: 'ok' | 'throw' | 'hang'; calls: number }, fn: () => R): Promise<R> {
  state.calls++
  if (state.mode === 'throw') return Promise.reject(new Error('connection refused'))
  if (state.mode === 'hang') return new Promise<R>(() => {})
  return Promise.resolve(fn())
}

describe('guardStore', () => {
  it('a call slower than timeout fails with ERR_CACHE_TIMEOUT; the cache answers from the loader', async () => {
    const { store, state } = chaosStore()
    const guarded = guardStore(store, { timeout: 30, breaker: false })
    const cache = createCache({ tiers: [memoryStore(), guarded] })
    state.mode = 'hang'
    const errors: unknown[] = []
    cache.on('error', ({ error }) => errors.push(error))
    expect(await cache.getOrSet('k', () => 'loaded')).toBe('loaded')
    // The read used the call's budget (the timeout): the write goes on in the background and times out too.
    await waitFor('the write to time out', () => cache.stats().tierHealth.chaos!.timeouts === 2)
    expect((errors[0] as CacheError).code).toBe('ERR_CACHE_TIMEOUT')
    expect(cache.stats().tierHealth.chaos).toMatchObject({ timeouts: 2, failures: 2, circuit: 'closed' })
  })

  it('opens after `failures` consecutive failures, skips calls while open, probes after the cooldown', async () => {
    const clock = manualClock()
    const { store, state } = chaosStore()
    const guarded = guardStore(store, { breaker: { failures: 3, cooldown: '30s' } })
    const cache = createCache({ tiers: [memoryStore(), guarded], clock })
    state.mode = 'throw'
    for (let i = 0; i < 3; i++) expect(await cache.get(`k${i}`)).toBeUndefined()
    expect(state.calls).toBe(3)
    expect(cache.stats().tierHealth.chaos).toMatchObject({ circuit: 'open', failures: 3, opened: 1 })
    for (let i = 0; i < 10; i++) expect(await cache.getOrSet(`s${i}`, () => i)).toBe(i)
    expect(state.calls).toBe(3) // skipped: the store was not called at all
    expect(cache.stats().tierHealth.chaos!.skipped).toBe(20) // a get and a set per getOrSet
    expect(cache.stats().tierErrors.chaos).toBe(3) // skips are not new errors
    clock.advance('31s')
    expect(cache.stats().tierHealth.chaos!.circuit).toBe('half-open')
    await cache.get('probe') // the probe fails: open again
    expect(cache.stats().tierHealth.chaos).toMatchObject({ circuit: 'open', opened: 2 })
    state.mode = 'ok'
    clock.advance('31s')
    await cache.set('x', 1)
    expect(cache.stats().tierHealth.chaos!.circuit).toBe('closed')
    expect(await guarded.get('x')).toMatchObject({ value: 1 })
  })

  it('strict: true makes the store’s errors reject the cache call', async () => {
    const { store, state } = chaosStore()
    const cache = createCache({ tiers: [memoryStore(), guardStore(store, { strict: true, breaker: { failures: 1 } })] })
    state.mode = 'throw'
    await expect(cache.set('k', 1)).rejects.toThrow('connection refused')
    await expect(cache.get('k2')).rejects.toMatchObject({ code: 'ERR_CACHE_CIRCUIT_OPEN' })
  })

  it('starts the timeout of calls made while the store connects once it is connected', async () => {
    const inner = memoryStore()
    let connected!: () => void
    let wait: Promise<void> | undefined = new Promise<void>((resolve) => {
      connected = resolve
    })
    const asked: string[] = []
    // Like an ioredis client: calls made before the connection is ready are queued until it is.
    const queued = <R>(fn: () => R): Promise<R> => (wait ?? Promise.resolve()).then(fn)
    const store: Store<Envelope> = {
      name: 'connecting',
      binary: false,
      get: (key) => queued(() => inner.get(key)),
      set: (key, value, expiresAt) => queued(() => inner.set(key, value, expiresAt)),
      delete: (key) => queued(() => inner.delete(key)),
      clear: (prefix) => queued(() => inner.clear(prefix)),
      connecting: () => {
        asked.push('connecting')
        return wait
      },
    }
    const guarded = guardStore(store, { timeout: 20, breaker: false })
    const calls = Promise.all([guarded.set('k', { value: 1 } as Envelope, Infinity), guarded.get('k')])
    await new Promise((r) => setTimeout(r, 100)) // five timeouts' worth of connecting
    connected()
    wait = undefined
    expect((await calls)[1]).toMatchObject({ value: 1 })
    expect(guarded.health!()).toMatchObject({ timeouts: 0, failures: 0 })
    await guarded.get('k')
    await guarded.get('k')
    expect(asked).toHaveLength(3) // asked until it said "connected", never after
  })

  it('fails the calls waiting for a connection with the error the store gives up with', async () => {
    const { store, state } = chaosStore()
    state.mode = 'hang'
    const refused = new Error('could not connect to 10.0.0.1:6379')
    const guarded = guardStore({ ...store, connecting: () => Promise.reject(refused) }, { timeout: 20 })
    await expect(guarded.get('k')).rejects.toBe(refused)
    expect(guarded.health!()).toMatchObject({ failures: 1, timeouts: 0 })
  })

  it('lock goes through the guard once: one timeout, one failure, and a promise even when the circuit is open', async () => {
    const { store, state } = chaosStore()
    const held = new Set<string>()
    const released: string[] = []
    store.lock = (key) =>
      act(state, () => {
        if (held.has(key)) return undefined
        held.add(key)
        return () =>
          act(state, () => {
            held.delete(key)
            released.push(key)
          })
      })
    const guarded = guardStore(store, { timeout: 20, breaker: { failures: 2, cooldown: '1h' } })
    const release = await guarded.lock!('a', 1000)
    expect(await guarded.lock!('a', 1000)).toBeUndefined() // held
    state.mode = 'hang'
    await expect(guarded.lock!('b', 1000)).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' })
    expect(guarded.health!()).toMatchObject({ failures: 1, timeouts: 1, circuit: 'closed' })
    // The release is a store call too: a server that stops answering fails it after the timeout.
    await expect(release!()).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' })
    expect(guarded.health!()).toMatchObject({ failures: 2, timeouts: 2, circuit: 'open', opened: 1 })
    // Open circuit: the promise lock() returns rejects; lock() itself does not throw.
    let pending: Promise<unknown> | undefined
    expect(() => {
      pending = guarded.lock!('c', 1000)
    }).not.toThrow()
    await expect(pending).rejects.toMatchObject({ code: 'ERR_CACHE_CIRCUIT_OPEN' })
    expect(guarded.health!()).toMatchObject({ failures: 2, skipped: 1 })
    expect(state.calls).toBe(4) // the skipped call never reached the store
    expect(released).toEqual([])
  })

  it('a store whose lock throws synchronously gives a rejected promise, counted once', async () => {
    const { store } = chaosStore()
    store.lock = () => {
      throw new Error('connection refused')
    }
    const guarded = guardStore(store, { breaker: { failures: 3 } })
    let pending: Promise<unknown> | undefined
    expect(() => {
      pending = guarded.lock!('k', 1000)
    }).not.toThrow()
    await expect(pending).rejects.toThrow('connection refused')
    expect(guarded.health!()).toMatchObject({ failures: 1, circuit: 'closed' })
  })

  it('validates its options', () => {
    const { store } = chaosStore()
    expect(() => guardStore(store, { timeout: -1 })).toThrow(/"timeout"/)
    expect(() => guardStore(store, { breaker: { cooldown: 'soon' } })).toThrow(/"breaker.cooldown"/)
    expect(() => guardStore(store, { strict: 'yes' as never })).toThrow(/"strict"/)
  })
})

describe('a failure shared by several operations', () => {
  it('one failed SQLite group commit counts once toward the breaker; the file stays readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-guard-'))
    try {
      const path = join(dir, 'c.db')
      const store = sqliteStore({ path, busyTimeout: 5 })
      const cache = createCache({ tiers: [memoryStore(), store] })
      await cache.set('before', 1)
      const other = new Database(path)
      other.exec('BEGIN IMMEDIATE') // another process is writing: the next group commit fails
      await Promise.all([1, 2, 3, 4, 5].map((i) => cache.set(`k${i}`, i)))
      other.exec('COMMIT')
      other.close()
      expect(cache.stats().tierErrors.sqlite).toBe(5) // five operations failed…
      expect(store.health!()).toMatchObject({ circuit: 'closed', failures: 1 }) // …in one failure of the store
      const fresh = createCache({ tiers: [memoryStore(), store] })
      expect(await fresh.get('before')).toBe(1)
      await cache.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
