/**
 * A store that runs a callback after one of its reads and before that read
 * answers: for tests that put another instance's write between a cache's read
 * and its write (a race across processes, made deterministic).
 * @module
 */
import type { Store } from '../../src/index.js'

/** The wrapped store, and `after(fn)`: the next `get` or `getWithVersions` runs `fn` before it answers. */
export interface PausedStore {
  store: Store
  after(fn: () => Promise<unknown>): void
}

/** Wraps `inner`: every method passes through; the next read after `after(fn)` waits for `fn`. */
export function pausedStore(inner: Store): PausedStore {
  let between: (() => Promise<unknown>) | undefined
  const paused =
    <A extends unknown[], R>(read: (...args: A) => R) =>
    async (...args: A): Promise<Awaited<R>> => {
      const got = await read(...args)
      const run = between
      between = undefined
      if (run !== undefined) await run()
      return got
    }
  const store = new Proxy(inner, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown
      if (typeof v !== 'function') return v
      const bound = (v as (...args: unknown[]) => unknown).bind(target)
      return prop === 'get' || prop === 'getWithVersions' ? paused(bound) : bound
    },
  })
  return {
    store,
    after(fn) {
      between = fn
    },
  }
}
