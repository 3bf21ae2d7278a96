/**
 * A store for express-session over a cachestack cache.
 * @module
 */
import { invalidOption } from '../core/errors.js'
import { SessionCache, type SessionData, type SessionInput, type SessionStoreOptions } from './session-cache.js'

/** The part of the `express-session` module the store needs: its `Store` base class. */
export interface ExpressSessionModule<S extends object> {
  Store: abstract new () => S
}

/** The methods the store adds to express-session's `Store` (callbacks as express-session calls them). */
export interface CacheSessionMethods {
  /** Loads a session; calls back `null` when there is none. */
  get<S = SessionData>(sid: string, callback: (err: Error | null, session?: S | null) => void): void
  /** Saves a session for as long as its cookie lives. */
  set(sid: string, session: SessionInput, callback?: (err?: unknown) => void): void
  /** Deletes a session from every tier (logout). */
  destroy(sid: string, callback?: (err?: unknown) => void): void
  /** Rolling expiry: a new lifetime from now, data unchanged. */
  touch(sid: string, session: SessionInput, callback?: (err?: unknown) => void): void
  /** Deletes every session under the store's prefix. */
  clear(callback?: (err?: unknown) => void): void
}

/**
 * Creates a store for express-session that keeps sessions in a cachestack
 * cache. Session ids are hashed (SHA-256) into keys, so they never appear in
 * the store; a session lives as long as its cookie; `touch` gives it a new
 * lifetime (rolling sessions). `all` and `length` are not offered: keys are
 * hashes and tiers cannot list them.
 *
 * Pass express-session itself as the first argument, so cachestack needs no
 * import of it.
 *
 * @param session - the `express-session` module (its default export)
 * @param options - see {@link SessionStoreOptions}; `cache` is required
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` when the cache stacks an in-process tier over a shared one
 * @example
 * ```ts
 * import session from 'express-session'
 * import { createCache } from 'cachestack'
 * import { redisStore } from 'cachestack/redis'
 * import { expressSessionStore } from 'cachestack/session'
 *
 * const sessions = createCache({ tiers: [redisStore({ url: process.env.REDIS_URL })], strict: true })
 * app.use(session({ store: expressSessionStore(session, { cache: sessions }), secret, resave: false, saveUninitialized: false, rolling: true }))
 * ```
 */
export function expressSessionStore<S extends object>(
  session: ExpressSessionModule<S>,
  options: SessionStoreOptions,
): S & CacheSessionMethods {
  const base = session?.Store as unknown as new () => object
  if (typeof base !== 'function') {
    throw invalidOption('session', 'the express-session module, e.g. expressSessionStore(session, { cache })', session)
  }
  const core = new SessionCache(options, 'expressSessionStore')
  class CacheSessionStore extends base implements CacheSessionMethods {
    get<S = SessionData>(sid: string, callback: (err: Error | null, session?: S | null) => void): void {
      core.get(sid).then(
        (data) => callback(null, (data ?? null) as S | null),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      )
    }
    set(sid: string, data: SessionInput, callback?: (err?: unknown) => void): void {
      settle(core.set(sid, data), callback)
    }
    destroy(sid: string, callback?: (err?: unknown) => void): void {
      settle(core.destroy(sid), callback)
    }
    touch(sid: string, data: SessionInput, callback?: (err?: unknown) => void): void {
      settle(core.touch(sid, data), callback)
    }
    clear(callback?: (err?: unknown) => void): void {
      settle(core.clear(), callback)
    }
  }
  return new CacheSessionStore() as S & CacheSessionMethods
}

/** @internal Calls back once a promise settles (with the error, if any). */
export function settle(promise: Promise<void>, callback: ((err?: unknown) => void) | undefined): void {
  promise.then(
    () => callback?.(),
    (err: unknown) => {
      if (callback !== undefined) callback(err)
    },
  )
}
