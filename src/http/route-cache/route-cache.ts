/**
 * The route cache shared by every framework adapter: keys, the safety rules,
 * the memory hit path, coalesced misses, storing, Vary with secondary keys,
 * 304s and Cache-Status. An adapter supplies how to send a stored response
 * and how to capture the handler's; the rules live here once.
 *
 * The hit path (memory tier): build the key, one synchronous `getSync`, two
 * slot writes into the entry's precomputed header array, one `send`. No
 * promise, no header object, no body copy.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Cache } from '../../core/cache.js'
import { type Clock, systemClock } from '../../core/clock.js'
import type { LoaderContext } from '../../core/options.js'
import { surrogateKeyList } from '../headers/surrogate-key.js'
import { parseCacheControl, serializeCacheControl } from '../semantics/cache-control.js'
import { formatCacheStatus } from '../semantics/cache-status.js'
import { isNotModified } from '../semantics/conditional.js'
import { credentialsOf, hasCredentials } from '../semantics/credentials.js'
import { freshnessLifetime } from '../semantics/freshness.js'
import { getHeader, type HeadersLike, HOP_BY_HOP_FIELDS, parseHttpDate } from '../semantics/headers.js'
import { parseVary, secondaryKey } from '../semantics/vary.js'
import { fitKey, pathTag, sortedUrl, unsafeTags } from './key.js'
import type { CachedOptions, ResolvedRouteOptions } from './options.js'
import { resolveRouteOptions } from './options.js'
import {
  ageString,
  bodyETag,
  isVaryIndex,
  type Prepared,
  prepared,
  type StoredResponse,
  type VaryIndex,
} from './stored-response.js'
import { UNKEYED_HEADERS } from './unkeyed.js'

/** A response as the handler produced it, captured by an adapter. */
export interface Captured {
  /** Status code. */
  status: number
  /** Header fields; names in any case. */
  headers: Iterable<readonly [string, string | readonly string[] | number | undefined]>
  /** The whole body, or `undefined` when it was too large, cut short or not captured. */
  body: Uint8Array | undefined
}

/** How an adapter writes to its framework's response. */
export interface Sender<Ctx> {
  /**
   * Sends a stored (or collapsed) response. `head` is flat `[name, value, …]`;
   * it is shared, so read it synchronously. `body` is `null` for HEAD and 304.
   */
  send(ctx: Ctx, status: number, head: readonly string[], body: Uint8Array | null): void
}

/** The request was answered from the cache; the adapter has nothing more to do. */
export interface Served {
  readonly kind: 'served'
}
/** Not cacheable: the adapter runs the handler and sends its response untouched. */
export interface Bypass {
  readonly kind: 'bypass'
  /** The `Cache-Status` value to add to the response, or undefined when the header is off. */
  readonly cacheStatus: string | undefined
}

/** A stored response sent in place of a failed handler's (see {@link Leader.stale}). */
export interface StaleAnswer {
  /** Its status. */
  readonly status: number
  /** Flat `[name, value, …]` headers, Age and Cache-Status included. */
  readonly head: readonly string[]
  /** Its body (send none for HEAD). */
  readonly body: Uint8Array
}

/** The one {@link Served} value. */
export const SERVED: Served = Object.freeze({ kind: 'served' })

/** What {@link RouteCache.handle} decided. */
export type Outcome = Served | Bypass | Leader

/**
 * This request runs the handler for its key; others with the same key wait
 * for it. The adapter hides {@link Leader.strip} from the handler, adds
 * {@link Leader.headers} to the response before it is sent, captures it and
 * calls {@link Leader.complete} exactly once (with `undefined` if the response failed).
 */
export interface Leader {
  /** Discriminant. */
  readonly kind: 'leader'
  /** Request headers to remove before the handler runs (unkeyed inputs). */
  readonly strip: readonly string[]
  /**
   * Header changes for the handler's response, given a reader of its current
   * headers: `Vary` merged with the route's, `Cache-Control: private` on
   * private routes, surrogate keys, `Cache-Status`.
   */
  headers(current: (name: string) => string | undefined): [string, string][]
  /** The largest body worth capturing. */
  readonly maxBodySize: number
  /**
   * Whether the client that leads asked conditionally (`If-None-Match`,
   * `If-Modified-Since`) and the handler's full response, described by its
   * status and a reader of its headers, matches: then the adapter sends the
   * client a 304 while it still captures (and stores) the full response. The
   * conditional fields are in {@link Leader.strip}, so the handler itself
   * always renders the full response; else a revalidating client would get a
   * 304 from the handler, which is not stored, and a route whose clients all
   * revalidate would never fill.
   */
  notModified(status: number, current: (name: string) => string | undefined): boolean
  /** Whether the leading request carried `If-None-Match` or `If-Modified-Since`. */
  readonly conditional: boolean
  /**
   * The stored response to send instead of the handler's when the handler
   * failed (`status` ≥ 500) and the route's `grace` still holds an older one
   * (RFC 5861 stale-if-error), or `undefined`. `head` is the adapter's own
   * copy, with `Age` and `Cache-Status` filled in. An adapter that sends it
   * calls {@link Leader.failed} instead of {@link Leader.complete}.
   */
  stale(status: number): StaleAnswer | undefined
  /** The handler failed: waiters get the stale response within grace, if any; nothing is stored. */
  failed(): void
  /** Stores the captured response (when the rules allow) and releases waiters. */
  complete(captured: Captured | undefined): void
}

const UNCACHEABLE = Object.freeze({ v: 1, uncacheable: true }) as unknown as StoredResponse
type Value = StoredResponse | VaryIndex

/** Request preconditions a leader's handler never sees (see {@link Leader.notModified}). */
const CONDITIONAL_FIELDS = ['if-none-match', 'if-modified-since'] as const

/** Fields a 304 made from a full response leaves out: they describe the content (RFC 9110 §15.4.5). */
export const NOT_ON_304: readonly string[] = ['content-length', 'content-type', 'transfer-encoding']

// Hop-by-hop fields and those that describe one transfer, not the stored content.
const DROP = new Set([...HOP_BY_HOP_FIELDS, 'age', 'date', 'content-length', 'cache-status'])

/**
 * A user key may carry request input: escape the line breaks that separate the
 * key's parts (and `%`, so the escape is one-to-one), so no input can make its
 * key equal another variant's or user's.
 */
function escapeKey(key: string): string {
  return String(key).replace(/%/g, '%25').replace(/\n/g, '%0A')
}

/**
 * The engine behind `cached()`. One per route (per `cached()` call).
 * @typeParam Req - the framework's request, passed to the `key`, `tags` and `private` functions
 * @typeParam Ctx - what the adapter's `send` writes to
 */
export class RouteCache<Req, Ctx> {
  readonly #o: ResolvedRouteOptions<Req>
  readonly #cache: Cache
  readonly #sender: Sender<Ctx>
  readonly #clock: Clock
  readonly #hit: string | undefined
  readonly #collapsed: string | undefined
  readonly #miss: string | undefined
  readonly #bypassMethod: Bypass
  readonly #bypassCredentials: Bypass
  readonly #bypassUncacheable: Bypass
  /** Stale values a failed leader handed to its waiters, so they say so in Cache-Status. */
  readonly #servedStale = new WeakSet<object>()
  /** Values produced by a leader in this process, so waiters can tell "collapsed" from "hit". */
  readonly #produced = new WeakMap<object, { sec: string; stored: StoredResponse } | true>()
  /**
   * When each produced value was stored, counted in leader completions: a
   * request waited for a leader (`collapsed`) only if the value was produced
   * after the request came in; an older one is a hit from a tier (RFC 9211).
   */
  readonly #producedAt = new WeakMap<object, number>()
  #completions = 0

  constructor(options: CachedOptions<Req>, sender: Sender<Ctx>) {
    this.#o = resolveRouteOptions(options, UNKEYED_HEADERS)
    this.#cache = this.#o.cache
    this.#sender = sender
    this.#clock = this.#o.clock ?? systemClock
    const name = this.#o.cacheStatus
    const status = (e: Parameters<typeof formatCacheStatus>[0]) => (name === false ? undefined : formatCacheStatus(e))
    const cache = name === false ? '' : name
    this.#hit = status({ cache, hit: true })
    this.#collapsed = status({ cache, fwd: 'miss', collapsed: true })
    this.#miss = status({ cache, fwd: 'miss' })
    const bypass = (cacheStatus: string | undefined): Bypass => Object.freeze({ kind: 'bypass', cacheStatus })
    this.#bypassMethod = bypass(status({ cache, fwd: 'method' }))
    this.#bypassCredentials = bypass(status({ cache, fwd: 'bypass', detail: 'credentials' }))
    this.#bypassUncacheable = bypass(status({ cache, fwd: 'miss', detail: 'uncacheable' }))
  }

  /**
   * Decides how to answer a request: from the cache (sent through the adapter's
   * `send`, returns {@link SERVED}), by the handler untouched (a {@link Bypass}),
   * or by the handler as this key's leader (a {@link Leader}).
   * Synchronous for a memory hit.
   *
   * @param url - the request target as received (path and query; Express: `originalUrl`)
   */
  handle(ctx: Ctx, req: Req, method: string, url: string, headers: HeadersLike): Outcome | Promise<Outcome> {
    if (method !== 'GET' && method !== 'HEAD') return this.#bypassMethod
    const o = this.#o
    let user = ''
    if (o.private === false) {
      if (!o.public && (hasCredentials(headers) || getHeader(headers, 'cookie') !== undefined)) {
        return this.#bypassCredentials
      }
    } else {
      const id = this.#user(req, headers)
      if (id === undefined) return this.#bypassCredentials
      user = id
    }
    // HTTP/2 carries the host in :authority; a request without either keys on ''.
    const host = getHeader(headers, 'host') ?? getHeader(headers, ':authority') ?? ''
    // Keyed on Host exactly as sent: the handler reads it as sent (Express `req.hostname` keeps
    // its case), so a key that folded case would serve one spelling's answer to another.
    let key = `GET ${host} ${o.key === undefined ? sortedUrl(url) : escapeKey(o.key(req))}`
    if (o.vary.length > 0) key += `\n${secondaryKey(o.vary, headers)}`
    if (user !== '') key += `\nuser=${user}`
    key = fitKey(key)
    const value = this.#cache.getSync<Value>(key)
    if (value !== undefined) {
      if (!isVaryIndex(value)) {
        this.#serve(ctx, value, this.#hit, method, headers)
        return SERVED
      }
      const key2 = fitKey(`${key}\n~${secondaryKey(value.vary, headers)}`)
      const second = this.#cache.getSync<Value>(key2)
      if (second !== undefined && !isVaryIndex(second)) {
        this.#serve(ctx, second, this.#hit, method, headers)
        return SERVED
      }
      return this.#slow(ctx, req, method, url, headers, key2, key, value.vary)
    }
    return this.#slow(ctx, req, method, url, headers, key, key, undefined)
  }

  /**
   * Call after a request with an unsafe method (POST, PUT, PATCH, DELETE)
   * answered with `status`: a success invalidates the path, and the paths its
   * `Location` and `Content-Location` name on the same host (RFC 9111 §4.4),
   * so `POST /products` answered `201 Location: /products/42` also drops a
   * 404 stored for `/products/42` before it existed.
   * @see https://www.rfc-editor.org/rfc/rfc9111#section-4.4
   */
  afterUnsafe(
    method: string,
    url: string,
    status: number,
    location?: string,
    contentLocation?: string,
    host?: string,
  ): void {
    if (!this.#o.invalidateOnUnsafe || method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return
    if (method === 'TRACE' || status < 200 || status >= 400) return
    this.#cache.invalidateTags(unsafeTags(url, host, location, contentLocation)).catch(() => {})
  }

  #user(req: Req, headers: HeadersLike): string | undefined {
    const o = this.#o
    if (typeof o.private === 'function') {
      const id = o.private(req)
      return id === undefined ? undefined : createHash('sha256').update(String(id)).digest('base64url')
    }
    const auth = hasCredentials(headers) ? credentialsOf(headers) : ''
    const cookie = getHeader(headers, 'cookie') ?? ''
    if (auth === '' && cookie === '') return 'anonymous'
    return createHash('sha256').update(`${auth}\n${cookie}`).digest('base64url')
  }

  #serve(
    ctx: Ctx,
    stored: StoredResponse,
    cacheStatus: string | undefined,
    method: string,
    headers: HeadersLike,
  ): void {
    const p: Prepared = prepared(stored, this.#hit)
    const age = ageString(Math.max(0, Math.floor((this.#clock.now() - stored.t) / 1000)))
    if (
      (getHeader(headers, 'if-none-match') !== undefined || getHeader(headers, 'if-modified-since') !== undefined) &&
      stored.s === 200 &&
      isNotModified(method, headers, { etag: stored.e, lastModified: stored.lm })
    ) {
      p.head304[p.ageAt304] = age
      if (p.statusAt304 !== -1) p.head304[p.statusAt304] = cacheStatus!
      this.#sender.send(ctx, 304, p.head304, null)
      return
    }
    p.head[p.ageAt] = age
    if (p.statusAt !== -1) p.head[p.statusAt] = cacheStatus!
    this.#sender.send(ctx, stored.s, p.head, method === 'HEAD' ? null : stored.b)
  }

  async #slow(
    ctx: Ctx,
    req: Req,
    method: string,
    url: string,
    headers: HeadersLike,
    key: string,
    primary: string,
    indexVary: readonly string[] | undefined,
  ): Promise<Outcome> {
    const cache = this.#cache
    if (method === 'HEAD') {
      // A HEAD never leads: its handler would produce no body to store. It may
      // still be answered from a slower tier.
      try {
        const found = await cache.get<Value>(key)
        if (found !== undefined && !isVaryIndex(found)) {
          this.#serve(ctx, found, this.#hit, method, headers)
          return SERVED
        }
      } catch {}
      return this.#bypassUncacheable
    }
    const entered = this.#completions
    let leader: Leader | undefined
    let started!: () => void
    const isLeader = new Promise<undefined>((resolve) => {
      started = () => resolve(undefined)
    })
    const tags = this.#tags(req, url)
    let loaded: Promise<Value>
    try {
      loaded = cache.getOrSet<Value>(
        key,
        (lctx) =>
          new Promise<Value>((resolve, reject) => {
            leader = this.#leader(lctx, resolve, reject, headers, primary, indexVary, tags)
            started()
          }),
        {
          tags,
          shouldCache: (v) => v !== UNCACHEABLE,
          ...(this.#o.grace === undefined ? {} : { grace: this.#o.grace }),
        },
      )
    } catch {
      return this.#bypassUncacheable
    }
    let value: Value | undefined
    try {
      value = await Promise.race([loaded, isLeader])
    } catch {
      return this.#bypassUncacheable // a cache fault degrades to the handler
    }
    if (leader !== undefined) {
      loaded.catch(() => {})
      return leader
    }
    if (value === undefined || value === UNCACHEABLE) return this.#bypassUncacheable
    const mine = (this.#producedAt.get(value) ?? 0) > entered ? this.#produced.get(value) : undefined
    if (!isVaryIndex(value)) {
      const status = this.#servedStale.has(value)
        ? this.#staleStatus(undefined)
        : mine === undefined
          ? this.#hit
          : this.#collapsed
      this.#serve(ctx, value, status, method, headers)
      return SERVED
    }
    // The leader's response varies on headers the route does not key: serve it
    // only to a waiter whose secondary key matches, else look up that variant.
    const sec = secondaryKey(value.vary, headers)
    if (typeof mine === 'object' && mine.sec === sec) {
      this.#serve(ctx, mine.stored, this.#collapsed, method, headers)
      return SERVED
    }
    if (indexVary !== undefined) return this.#bypassUncacheable // an index under an index: the handler's Vary keeps changing
    const key2 = fitKey(`${key}\n~${sec}`)
    const second = cache.getSync<Value>(key2)
    if (second !== undefined && !isVaryIndex(second)) {
      this.#serve(ctx, second, this.#hit, method, headers)
      return SERVED
    }
    return this.#slow(ctx, req, method, url, headers, key2, key, value.vary)
  }

  /** The Cache-Status of a stale response sent because the handler failed (RFC 9211, RFC 5861). */
  #staleStatus(fwdStatus: number | undefined): string | undefined {
    const name = this.#o.cacheStatus
    if (name === false) return undefined
    return formatCacheStatus(
      fwdStatus === undefined
        ? { cache: name, hit: true, detail: 'stale-if-error' }
        : { cache: name, hit: true, fwdStatus, detail: 'stale-if-error' },
    )
  }

  #tags(req: Req, url: string): string[] {
    const t = this.#o.tags
    const own = t === undefined ? [] : typeof t === 'function' ? t(req) : t
    return [pathTag(url), ...own]
  }

  #leader(
    lctx: LoaderContext<Value>,
    resolve: (v: Value) => void,
    reject: (err: Error) => void,
    headers: HeadersLike,
    key: string,
    indexVary: readonly string[] | undefined,
    tags: string[],
  ): Leader {
    const o = this.#o
    const requestTime = this.#clock.now()
    let done = false
    const sv = lctx.staleValue
    const stale = sv !== undefined && sv !== UNCACHEABLE && !isVaryIndex(sv) ? sv : undefined
    const inm = getHeader(headers, 'if-none-match')
    const ims = getHeader(headers, 'if-modified-since')
    const conditional = inm !== undefined || ims !== undefined
    const preconditions: Record<string, string> = {}
    if (inm !== undefined) preconditions['if-none-match'] = inm
    if (ims !== undefined) preconditions['if-modified-since'] = ims
    return {
      kind: 'leader',
      strip: conditional ? [...o.strip, ...CONDITIONAL_FIELDS] : o.strip,
      maxBodySize: o.maxBodySize,
      conditional,
      notModified: (status, current) =>
        conditional &&
        status === 200 &&
        isNotModified('GET', preconditions, { etag: current('etag'), lastModified: current('last-modified') }),
      headers: (current) => this.#leaderHeaders(current, tags),
      stale: (status) => {
        if (status < 500 || stale === undefined) return undefined
        const p = prepared(stale, this.#hit)
        const head = p.head.slice()
        head[p.ageAt] = ageString(Math.max(0, Math.floor((this.#clock.now() - stale.t) / 1000)))
        if (p.statusAt !== -1) head[p.statusAt] = this.#staleStatus(status)!
        return { status: stale.s, head, body: stale.b }
      },
      failed: () => {
        if (done) return
        done = true
        if (stale === undefined) resolve(UNCACHEABLE)
        else {
          this.#servedStale.add(stale)
          // A failed load within grace: the cache answers every waiter with the stale value.
          reject(new Error('the route handler failed'))
        }
      },
      complete: (captured) => {
        if (done) return
        if (captured !== undefined && captured.status >= 500 && stale !== undefined) {
          // Sent as it was (the adapter could not swap it), but waiters may still get the stale one.
          done = true
          this.#servedStale.add(stale)
          reject(new Error('the route handler failed'))
          return
        }
        done = true
        let value: Value = UNCACHEABLE
        try {
          value = this.#store(lctx, captured, headers, key, indexVary, tags, requestTime)
        } catch {
          value = UNCACHEABLE
        }
        this.#producedAt.set(value, ++this.#completions)
        resolve(value)
      },
    }
  }

  #leaderHeaders(current: (name: string) => string | undefined, tags: readonly string[]): [string, string][] {
    const o = this.#o
    const out: [string, string][] = []
    if (o.vary.length > 0) {
      const vary = current('vary')
      const have = parseVary(vary)
      if (have !== '*') {
        const merged = [...new Set([...have, ...o.vary])].sort()
        if (merged.length !== have.length) out.push(['vary', merged.join(', ')])
      }
    }
    if (o.private !== false) {
      const cc = parseCacheControl(current('cache-control'))
      if (cc.private === undefined && cc.noStore === undefined) {
        out.push([
          'cache-control',
          serializeCacheControl({ ...cc, public: undefined, sMaxAge: undefined, private: true }),
        ])
      }
    }
    if (o.surrogateKeys) {
      // Encoded (see surrogateKey): a tag with a line break or a space, say one
      // built from a query value, must neither fail the response nor split into two keys.
      const own = surrogateKeyList(tags.slice(1))
      if (own.length > 0) {
        out.push(['surrogate-key', own.join(' ')], ['cache-tag', own.join(',')])
      }
    }
    if (o.cdn.length > 0 && o.private === false) {
      const cc = parseCacheControl(current('cache-control'))
      if (cc.private === undefined && cc.noStore === undefined) {
        for (const field of o.cdn) if (current(field[0]) === undefined) out.push(field)
      }
    }
    if (this.#miss !== undefined) out.push(['cache-status', this.#miss])
    return out
  }

  /** Applies the storage rules to a captured response; returns what to store under the leader's key. */
  #store(
    lctx: LoaderContext<Value>,
    captured: Captured | undefined,
    reqHeaders: HeadersLike,
    key: string,
    indexVary: readonly string[] | undefined,
    tags: string[],
    requestTime: number,
  ): Value {
    const o = this.#o
    if (captured === undefined || captured.body === undefined || !o.statuses.has(captured.status)) return UNCACHEABLE
    if (captured.body.byteLength > o.maxBodySize) return UNCACHEABLE
    const fields = new Map<string, string[]>()
    for (const [rawName, v] of captured.headers) {
      if (v === undefined) continue
      const name = rawName.toLowerCase()
      const list = fields.get(name) ?? []
      if (typeof v === 'string') list.push(v)
      else if (typeof v === 'number') list.push(String(v))
      else list.push(...v)
      fields.set(name, list)
    }
    const one = (name: string) => {
      const v = fields.get(name)
      return v === undefined ? undefined : v.join(', ')
    }
    // Safety rules: never store what sets a cookie, what the handler keeps out of shared caches, or `Vary: *`.
    if (fields.has('set-cookie')) return UNCACHEABLE
    const cc = parseCacheControl(one('cache-control'))
    if (cc.noStore === true) return UNCACHEABLE
    if (cc.private !== undefined && o.private === false) return UNCACHEABLE
    // The leader's response already got these; stored copies need them too.
    for (const [name, value] of this.#leaderHeaders(one, tags)) {
      if (name !== 'cache-status') fields.set(name, [value])
    }
    const vary = parseVary(one('vary'))
    if (vary === '*') return UNCACHEABLE
    const now = this.#clock.now()
    let ttl: number
    if (cc.sMaxAge !== undefined) ttl = cc.sMaxAge * 1000
    else if (o.ttl !== undefined) ttl = o.ttl
    else {
      const dateValue = parseHttpDate(one('date')) ?? requestTime
      const expiresHeader = one('expires')
      const expires = expiresHeader === undefined ? undefined : (parseHttpDate(expiresHeader) ?? null)
      ttl =
        freshnessLifetime(
          { status: captured.status, cacheControl: cc, date: dateValue, expires },
          { shared: true, heuristicFraction: 0 },
        ).seconds * 1000
    }
    if (!(ttl > 0)) return UNCACHEABLE

    const body = captured.body
    let etag = one('etag')
    if (etag === undefined) {
      etag = bodyETag(body)
      fields.set('etag', [etag])
    }
    const flat: string[] = []
    for (const [name, values] of fields) {
      if (DROP.has(name)) continue
      for (const v of values) flat.push(name, v)
    }
    if (captured.status !== 204 && captured.status !== 304) flat.push('content-length', String(body.byteLength))
    const lm = one('last-modified')
    const stored: StoredResponse =
      lm === undefined
        ? { v: 1, s: captured.status, h: flat, b: body, t: now, e: etag }
        : { v: 1, s: captured.status, h: flat, b: body, t: now, e: etag, lm }
    lctx.setTtl(ttl)

    const extra = vary.filter((name) => !o.vary.includes(name))
    const sameAsIndex =
      indexVary !== undefined && extra.length === indexVary.length && extra.every((n, i) => n === indexVary[i])
    if (extra.length === 0 && indexVary === undefined) {
      this.#produced.set(stored, true)
      return stored
    }
    if (sameAsIndex) {
      this.#produced.set(stored, true)
      return stored
    }
    // The handler varies on headers the route does not key: store the response
    // under a secondary key and an index under the primary one.
    const sec = secondaryKey(extra, reqHeaders)
    const base = key
    const setOptions = { ttl, tags, ...(o.grace === undefined ? {} : { grace: o.grace }) }
    const index: VaryIndex = { v: 1, vary: extra }
    if (extra.length === 0) {
      // The variants stopped varying: the plain response replaces the index.
      this.#cache.set(base, stored, setOptions).catch(() => {})
      return UNCACHEABLE
    }
    this.#cache.set(fitKey(`${base}\n~${sec}`), stored, setOptions).catch(() => {})
    if (indexVary !== undefined) {
      this.#cache.set(base, index, setOptions).catch(() => {})
      return UNCACHEABLE
    }
    this.#produced.set(index, { sec, stored })
    return index
  }
}
