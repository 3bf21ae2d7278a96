/**
 * Session stores for express-session and @fastify/session on cachestack's
 * tiers, so an app keeps its sessions where it keeps its cache.
 *
 * Session ids are hashed (SHA-256) before they become keys, so no id is ever
 * stored, logged or shown in an error. Give sessions a cache of a single tier
 * (Redis, SQLite, or memory for one process) or of shared tiers only: an
 * in-process tier in front of a shared one could serve a session after a
 * logout in another process, so such a cache is refused.
 *
 * @example
 * ```ts
 * import session from 'express-session'
 * import { createCache } from 'cachestack'
 * import { expressSessionStore } from 'cachestack/session'
 *
 * const sessions = createCache({ tiers: [redisStore({ url: process.env.REDIS_URL })], strict: true })
 * app.use(session({ store: expressSessionStore(session, { cache: sessions }), secret: process.env.SECRET!, resave: false, saveUninitialized: false }))
 * ```
 * @module
 */
export * from './sessions/index.js'
