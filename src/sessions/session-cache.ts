/**
 * What both session stores share: session ids hashed into keys, the session's
 * lifetime taken from its cookie, JSON in and out, and the rule that a session
 * never sits in an in-process tier in front of a shared one.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Cache } from '../core/cache.js'
import { type Duration, parseDuration } from '../core/duration.js'
import { CacheError, invalidOption } from '../core/errors.js'

/** Options shared by {@link expressSessionStore} and {@link fastifySessionStore}. */
export interface SessionStoreOptions {
  /**
   * The cache that holds sessions. It must have a single tier, only shared
   * tiers (Redis, SQLite), or a bus: an in-process tier in front of a shared one,
   * without a bus, would keep serving a session in one process after another
   * process destroyed it at logout. Do not pass a `cache.namespace(...)`: namespaces version their keys
   * per process, so sessions would not survive a restart; use `prefix` instead.
   */
  cache: Cache
  /**
   * Lifetime of a session whose cookie has neither `maxAge` nor `expires`
   * (a browser-session cookie). Sessions with a cookie expiry live exactly as long as it.
   * @defaultValue `'1d'`
   */
  ttl?: Duration
  /**
   * Prefix of the session keys in the cache. Keys are `prefix` plus the SHA-256
   * of the session id (base64url), so ids never appear in the store, its logs or its keys.
   * @defaultValue `'sess:'`
   */
  prefix?: string
}

/** What a store needs of a session it saves: its cookie (any other fields are kept as they are). */
export interface SessionInput {
  /** The session cookie; its `expires` (or `maxAge`) sets how long the store keeps the session. */
  cookie?: { expires?: Date | string | null; maxAge?: number | null } | null
}

/**
 * A session as a store returns it: whatever the app put in it, plus its
 * cookie, whose `expires` (or `maxAge`) sets how long the store keeps it.
 */
export interface SessionData {
  /** The session cookie, as express-session and @fastify/session keep it. */
  cookie?: { expires?: Date | string | null; maxAge?: number | null } | null
  /** The app's own fields. */
  [field: string]: unknown
}

/** @internal The part of express-session and @fastify/session stores that does not depend on the framework. */
export class SessionCache {
  readonly cache: Cache
  readonly prefix: string
  readonly defaultTtl: number

  constructor(options: SessionStoreOptions, factory: string) {
    if (options === null || typeof options !== 'object') throw invalidOption(factory, 'an object with `cache`', options)
    const cache = options.cache
    if (cache === null || typeof cache !== 'object' || typeof cache.get !== 'function' || !('tiers' in cache)) {
      throw invalidOption('cache', 'a cache made by createCache()', cache)
    }
    checkTiers(cache)
    this.cache = cache
    this.prefix = options.prefix ?? 'sess:'
    if (typeof this.prefix !== 'string') throw invalidOption('prefix', 'a string', this.prefix)
    this.defaultTtl = parseDuration(options.ttl ?? '1d', 'ttl')
  }

  /** The cache key of a session id: never the id itself. */
  key(sid: string): string {
    return this.prefix + createHash('sha256').update(sid).digest('base64url')
  }

  async get(sid: string): Promise<SessionData | undefined> {
    const json = await this.cache.get<string>(this.key(sid))
    return json === undefined ? undefined : (JSON.parse(json) as SessionData)
  }

  async set(sid: string, session: SessionInput): Promise<void> {
    const ttl = this.ttlOf(session)
    if (ttl <= 0) {
      await this.cache.delete(this.key(sid))
      return
    }
    // Kept as JSON, as express-session's own MemoryStore does: an in-process tier
    // would otherwise hold the live object, and later mutations would leak into it.
    await this.cache.set(this.key(sid), JSON.stringify(session), { ttl, grace: 0 })
  }

  async destroy(sid: string): Promise<void> {
    await this.cache.delete(this.key(sid))
  }

  /** Rolling expiry: gives the stored session a new lifetime without rewriting its data. */
  async touch(sid: string, session: SessionInput): Promise<void> {
    const ttl = this.ttlOf(session)
    if (ttl <= 0) await this.cache.delete(this.key(sid))
    else await this.cache.touch(this.key(sid), { ttl, grace: 0 })
  }

  /** Removes every session (every key under `prefix`) from every tier. */
  async clear(): Promise<void> {
    await Promise.all(this.cache.tiers.map((tier) => tier.clear(this.prefix)))
  }

  /** Milliseconds the session has left by its cookie, or the default lifetime. */
  ttlOf(session: SessionInput): number {
    const cookie = session?.cookie
    if (cookie !== null && cookie !== undefined) {
      if (cookie.expires !== null && cookie.expires !== undefined) {
        const at = new Date(cookie.expires).getTime()
        if (!Number.isNaN(at)) return at - Date.now()
      }
      if (typeof cookie.maxAge === 'number') return cookie.maxAge
    }
    return this.defaultTtl
  }
}

/**
 * Sessions must not live in an in-process tier stacked over a shared one
 * without a bus: a logout in process A deletes the shared copy and A's L1
 * copy, but process B's L1 would go on serving the session until its TTL.
 * With a bus, the delete reaches B's L1 (and a bus that lost its connection
 * drops the L1 on reconnecting). A single tier is fine (an in-process tier
 * alone is one process's sessions; a shared tier alone is seen by all), and so
 * are stacks of shared tiers.
 */
function checkTiers(cache: Cache): void {
  const tiers = cache.tiers
  if (tiers.length > 1 && tiers.some((t) => !t.binary) && cache.stats().bus === undefined) {
    throw new CacheError(
      'ERR_CACHE_INVALID_OPTION',
      `Option "cache" has an in-process tier (${tiers
        .filter((t) => !t.binary)
        .map((t) => t.name)
        .join(
          ', ',
        )}) in front of a shared one and no bus: a session destroyed at logout in one process would live on in ` +
        "another process's in-process tier. Give sessions a cache of one shared tier, e.g. createCache({ tiers: [redisStore(...)] }), or add a bus (redisBus) to the cache.",
    )
  }
}
