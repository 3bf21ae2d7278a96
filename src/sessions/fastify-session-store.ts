/**
 * A store for @fastify/session over a cachestack cache.
 * @module
 */
import { settle } from './express-session-store.js'
import { SessionCache, type SessionData, type SessionInput, type SessionStoreOptions } from './session-cache.js'

/** @fastify/session's store interface, with rolling expiry and clear added. */
export interface FastifySessionStore {
  /** Loads a session; calls back `null` when there is none. */
  get<S = SessionData>(sessionId: string, callback: (err: Error | null, session?: S | null) => void): void
  /** Saves a session for as long as its cookie lives. */
  set(sessionId: string, session: SessionInput, callback: (err?: unknown) => void): void
  /** Deletes a session from every tier (logout). */
  destroy(sessionId: string, callback: (err?: unknown) => void): void
  /** A new lifetime from now, data unchanged (for `rolling` sessions saved without changes). */
  touch(sessionId: string, session: SessionInput, callback?: (err?: unknown) => void): void
  /** Deletes every session under the store's prefix. */
  clear(callback?: (err?: unknown) => void): void
}

/**
 * Creates a store for @fastify/session that keeps sessions in a cachestack
 * cache: ids hashed (SHA-256) into keys, a lifetime taken from the session
 * cookie, JSON values. The same rules as {@link expressSessionStore} apply to the cache.
 *
 * @param options - see {@link SessionStoreOptions}; `cache` is required
 * @throws CacheError `ERR_CACHE_INVALID_OPTION` when the cache stacks an in-process tier over a shared one
 * @example
 * ```ts
 * import fastifyCookie from '@fastify/cookie'
 * import fastifySession from '@fastify/session'
 * import { fastifySessionStore } from 'cachestack/session'
 *
 * app.register(fastifyCookie)
 * app.register(fastifySession, { secret, store: fastifySessionStore({ cache: sessions }), cookie: { maxAge: 86_400_000 } })
 * ```
 */
export function fastifySessionStore(options: SessionStoreOptions): FastifySessionStore {
  const core = new SessionCache(options, 'fastifySessionStore')
  return {
    get<S>(sessionId: string, callback: (err: Error | null, session?: S | null) => void) {
      core.get(sessionId).then(
        (data) => callback(null, (data ?? null) as S | null),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      )
    },
    set(sessionId, session, callback) {
      settle(core.set(sessionId, session), callback)
    },
    destroy(sessionId, callback) {
      settle(core.destroy(sessionId), callback)
    },
    touch(sessionId, session, callback) {
      settle(core.touch(sessionId, session), callback)
    },
    clear(callback) {
      settle(core.clear(), callback)
    },
  }
}
