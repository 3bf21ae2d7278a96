/**
 * The caching reverse proxy: a shared cache (RFC 9111) in front of one
 * origin, on node:http.
 *
 * A request goes one of four ways: a hit (served from the stored response,
 * synchronously when the memory tier holds it), a revalidation (a conditional
 * request to the origin; a 304 freshens the stored response), a miss (one
 * origin fetch per key however many clients ask at once; the body streams to
 * the client while it is collected for storing, up to `maxObjectSize`), or a
 * pass-through (unsafe methods, ranges, uncacheable responses). The rules are
 * the pure functions of `../semantics/`; this file decides and moves bytes.
 * @module
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { Cache } from '../../core/cache.js'
import { type Clock, systemClock } from '../../core/clock.js'
import { fitKey } from '../route-cache/key.js'
import { FORWARDED_HEADERS, OVERRIDE_HEADERS } from '../route-cache/unkeyed.js'
import { type CacheControl, parseCacheControl } from '../semantics/cache-control.js'
import { type CacheStatusEntry, formatCacheStatus } from '../semantics/cache-status.js'
import { isNotModified, RETAINED_304_HEADERS } from '../semantics/conditional.js'
import { hasCredentials } from '../semantics/credentials.js'
import { currentAge, mayNotServeStale, reuse, staleIfErrorAllows } from '../semantics/freshness.js'
import { formatHttpDate } from '../semantics/headers.js'
import { invalidationTargets, SAFE_METHODS } from '../semantics/invalidation.js'
import { notStorableReason } from '../semantics/storable.js'
import { parseVary, secondaryKey, varyMatches } from '../semantics/vary.js'
import { type AdminHandler, adminHandler } from './admin.js'
import { directives, type Facts, factsOf, lifetimeOf } from './facts.js'
import type { ResolvedProxyOptions } from './options.js'
import { serveRange } from './range.js'
import {
  cleanHeaders,
  flatGet,
  hopByHop,
  isIndex,
  type ProxyStored,
  type ProxyValue,
  type ProxyVaryIndex,
  surrogateKeys,
  tagsFor,
  updateHeaders,
  urlTag,
} from './stored.js'

// Fields never stored: they describe one transfer or one cache's handling.
const NOT_STORED = new Set(['age', 'cache-status', 'content-length', 'date'])
// Client request fields not sent on a cache fetch: the preconditions the proxy
// answers itself (it fetches the full response to store it), and the framing of
// a body a GET may carry but the fetch never sends.
const CONDITIONAL = new Set(['if-none-match', 'if-modified-since', 'content-length'])

/** A request that waits for another's origin fetch gets the stored response, or `undefined` to fetch alone. */
type Pending = Promise<ProxyStored | undefined>

/**
 * How a fetch ends for those waiting on it: the stored response and the write
 * storing it, or `undefined` (with `uncacheable` when the origin's answer may
 * not be stored, so that waiting for it elsewhere is pointless). Called as soon
 * as it is known; later calls are ignored.
 */
type Settle = (stored: ProxyStored | undefined, written?: Promise<void>, uncacheable?: boolean) => void

/** What a miss does after trying the cross-process lock: lead (holding `unlock`), serve `stored`, or fetch alone. */
interface Lead {
  unlock?: () => Promise<void>
  stored?: ProxyStored
  f?: Facts
  age?: number
}
const ALONE: Lead = Object.freeze({}) as Lead

/**
 * How long a URL whose answer could not be stored is fetched without the
 * cross-process lock (Varnish's hit-for-miss): waiting for a response no one
 * will store would queue the processes one behind the other.
 */
const PASS_MEMORY = 30_000

type Entry = Omit<CacheStatusEntry, 'cache'>

interface Ctx {
  req: IncomingMessage
  res: ServerResponse | undefined
  host: string
  url: string
  primary: string
  reqCC: CacheControl
  /** The stale response being revalidated, if any. */
  stale: ProxyStored | undefined
  staleKey: string | undefined
  fwd: CacheStatusEntry['fwd']
  collapsed: boolean
  /** Called once, with the stored response or undefined, as soon as it is known. */
  release: Settle
}

/**
 * The request handler behind `createProxy`: `createProxy(options).handler.handle(req, res)`
 * puts the proxy inside your own node:http server.
 */
export class ProxyHandler {
  readonly #o: ResolvedProxyOptions
  readonly #cache: Cache
  readonly #clock: Clock
  readonly #agent: http.Agent
  /** Origin requests sent and not yet closed (at most `originMaxSockets`). */
  #inFlight = 0
  /** Origin requests waiting for one of those to close, oldest first. */
  readonly #queued: { run: () => void; timer: ReturnType<typeof setTimeout> | undefined }[] = []
  readonly #request: typeof http.request
  readonly #basePath: string
  readonly #inflight = new Map<string, Pending>()
  readonly #revalidating = new Set<string>()
  readonly #admin: AdminHandler | undefined
  readonly #hit: string
  readonly #staleHit: string
  /** `collapseWait` when the cache can lock across processes, else 0 (no lock on a miss). */
  readonly #collapse: number

  /** @internal use `createProxy(options).handler` */
  constructor(o: ResolvedProxyOptions, cache: Cache, clock: Clock | undefined) {
    this.#o = o
    this.#cache = cache
    this.#clock = clock ?? systemClock
    const isHttps = o.origin.protocol === 'https:'
    // A bounded pool: a burst of misses queues for a connection rather than
    // opening one each (originMaxSockets); idle ones are kept for reuse.
    const pool = {
      keepAlive: true,
      maxSockets: o.originMaxSockets,
      maxFreeSockets: Math.min(256, o.originMaxSockets),
    }
    this.#agent = isHttps ? new https.Agent(pool) : new http.Agent(pool)
    this.#request = isHttps ? https.request : http.request
    this.#basePath = o.origin.pathname === '/' ? '' : o.origin.pathname.replace(/\/$/, '')
    this.#admin =
      o.adminToken === undefined
        ? undefined
        : adminHandler(o.adminToken, cache, formatCacheStatus({ cache: o.name, detail: 'admin' }))
    this.#hit = this.#status({ hit: true })
    this.#staleHit = this.#status({ hit: true, detail: 'stale' })
    this.#collapse = o.collapseWait > 0 && cache.canLock ? o.collapseWait : 0
  }

  /**
   * Runs `start` (which sends one request to the origin) once fewer than
   * `originMaxSockets` origin requests are in flight; until then it waits in
   * a FIFO queue, for at most `originTimeout` (then `timedOut` runs instead and
   * `start` never does). The queue is ours, not the agent's: a request queued in
   * an `http.Agent` cannot be withdrawn, and its own `timeout` only counts once
   * it has a socket. The agent's `maxSockets` is the same cap, as a backstop.
   */
  #withOrigin(start: () => http.ClientRequest | undefined, timedOut: () => void, broke: (err: unknown) => void): void {
    const run = () => {
      let up: http.ClientRequest | undefined
      try {
        up = start()
      } catch (err) {
        // Often run from another request's 'close' event, where nothing would catch it.
        this.#report(err)
        broke(err)
        return
      }
      if (up === undefined) return
      this.#inFlight++
      let done = false
      up.once('close', () => {
        if (done) return
        done = true
        this.#inFlight--
        // A waiter whose client has left starts nothing: keep going until one does.
        while (this.#inFlight < this.#o.originMaxSockets && this.#queued.length > 0) {
          const next = this.#queued.shift()!
          if (next.timer !== undefined) clearTimeout(next.timer)
          next.run()
        }
      })
    }
    if (this.#inFlight < this.#o.originMaxSockets) {
      run()
      return
    }
    const waiter: { run: () => void; timer: ReturnType<typeof setTimeout> | undefined } = { run, timer: undefined }
    const ms = this.#o.originTimeout
    if (ms > 0 && Number.isFinite(ms)) {
      waiter.timer = setTimeout(() => {
        const i = this.#queued.indexOf(waiter)
        if (i === -1) return
        this.#queued.splice(i, 1)
        timedOut()
      }, ms)
    }
    this.#queued.push(waiter)
  }

  /** Closes the origin connections kept alive. */
  close(): void {
    this.#agent.destroy()
  }

  /**
   * Handles one request. Never throws: a fault of the proxy's own is reported
   * (`onError`) and answered with 502, and the server keeps serving.
   */
  handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.#handle(req, res)
    } catch (err) {
      this.#fail(res, err)
    }
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    if (hostLines(req.rawHeaders) > 1) {
      // RFC 9112 §3.2: a server MUST answer 400 to a request with more than one Host
      // line. Node keeps the first; an origin or a cache behind might read another.
      req.resume()
      this.#plain(res, 400, this.#status({ fwd: 'bypass', detail: 'two-hosts' }))
      return
    }
    let url = req.url ?? '/'
    let host = (
      req.headers.host ??
      (req.headers[':authority'] as string | undefined) ??
      this.#o.origin.host
    ).toLowerCase()
    if (url.charCodeAt(0) !== 47 /* / */) {
      // Absolute form (RFC 9112 §3.2.2): its authority replaces Host, its path is the target.
      const u = parseAbsolute(url)
      if (u === undefined) {
        if (req.method !== 'OPTIONS' || url !== '*') {
          req.resume()
          this.#plain(res, 400, this.#status({ fwd: 'bypass', detail: 'bad-target' }))
          return
        }
      } else {
        host = u.host.toLowerCase()
        url = u.pathname + u.search
      }
    }
    if (this.#admin !== undefined && pathOnly(url) === this.#o.adminPath) {
      this.#admin(req, res)
      return
    }
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'HEAD') {
      this.#pass(req, res, host, url, 'method')
      return
    }
    const reqCC = requestDirectives(req)
    const primary = fitKey(
      this.#o.trustForwarded ? `px:${host} ${url}${forwardedKey(req.headers)}` : `px:${host} ${url}`,
    )
    if (req.headers.range !== undefined) {
      this.#range(req, res, host, url, primary, reqCC)
      return
    }
    if (reqCC.noStore === true) {
      // §5.2.1.5: nothing of this exchange is stored; it is answered by the origin.
      this.#fetch(req, res, host, url, primary, reqCC, 'request', undefined, undefined, false, () => {})
      return
    }
    const cache = this.#cache
    const v = cache.getSync<ProxyValue>(primary)
    if (v !== undefined) {
      if (!isIndex(v)) {
        this.#fromStored(req, res, v, primary, host, url, primary, reqCC)
        return
      }
      const key = fitKey(`${primary}\n~${secondaryKey(v.vary, req.headers)}`)
      const s = cache.getSync<ProxyValue>(key)
      if (s !== undefined && !isIndex(s)) {
        this.#fromStored(req, res, s, key, host, url, primary, reqCC)
        return
      }
    }
    this.#slow(req, res, host, url, primary, reqCC).catch((err: unknown) => this.#fail(res, err))
  }

  /** Looks a request up in every tier; resolves the stored response and its key, if any. */
  async #lookup(
    primary: string,
    headers: IncomingMessage['headers'],
  ): Promise<{ stored: ProxyStored | undefined; key: string; fwd: 'uri-miss' | 'vary-miss' }> {
    const v = await this.#cache.get<ProxyValue>(primary).catch(() => undefined)
    if (v === undefined) return { stored: undefined, key: primary, fwd: 'uri-miss' }
    if (!isIndex(v)) return { stored: v, key: primary, fwd: 'uri-miss' }
    const key = fitKey(`${primary}\n~${secondaryKey(v.vary, headers)}`)
    const s = await this.#cache.get<ProxyValue>(key).catch(() => undefined)
    return { stored: s === undefined || isIndex(s) ? undefined : s, key, fwd: 'vary-miss' }
  }

  async #slow(
    req: IncomingMessage,
    res: ServerResponse,
    host: string,
    url: string,
    primary: string,
    reqCC: CacheControl,
  ): Promise<void> {
    const found = await this.#lookup(primary, req.headers)
    if (found.stored !== undefined) {
      this.#fromStored(req, res, found.stored, found.key, host, url, primary, reqCC)
      return
    }
    await this.#miss(req, res, host, url, primary, reqCC, found.fwd)
  }

  /** Serves, revalidates or refreshes from a stored response. */
  #fromStored(
    req: IncomingMessage,
    res: ServerResponse,
    stored: ProxyStored,
    key: string,
    host: string,
    url: string,
    primary: string,
    reqCC: CacheControl,
  ): void {
    const o = this.#o
    const f = factsOf(stored, o.targets, o.heuristicFraction)
    const now = this.#clock.now()
    const age = currentAge({ ageValue: stored.a, date: f.date, requestTime: stored.rq, responseTime: stored.rs }, now)
    let decision = reuse(f.lifetime, age, f.cc, reqCC)
    if (
      decision === 'revalidate' &&
      o.grace > 0 &&
      f.lifetime > 0 &&
      age > f.lifetime &&
      reqCC.noCache === undefined &&
      reqCC.maxAge === undefined &&
      reqCC.minFresh === undefined &&
      !mayNotServeStale(f.cc) &&
      (age - f.lifetime) * 1000 < o.grace
    ) {
      decision = 'stale-while-revalidate'
    }
    if (decision === 'fresh') {
      this.#serve(req, res, stored, f, age, this.#hit)
      return
    }
    if (decision === 'stale-acceptable' || decision === 'stale-while-revalidate') {
      this.#serve(req, res, stored, f, age, this.#staleHit)
      if (decision === 'stale-while-revalidate') this.#background(req, stored, f, key, host, url, primary)
      return
    }
    if (reqCC.onlyIfCached === true) {
      this.#gatewayTimeout(res, 'only-if-cached')
      return
    }
    const fwd = reqCC.noCache !== undefined || reqCC.maxAge !== undefined || reqCC.minFresh !== undefined
    // Revalidations are coalesced like misses: one conditional request per key at a time.
    this.#miss(req, res, host, url, primary, reqCC, fwd && age <= f.lifetime ? 'request' : 'stale', stored, key).catch(
      (err: unknown) => this.#fail(res, err),
    )
  }

  /** Writes a stored response (or a 304 when the client's preconditions match it). */
  #serve(
    req: IncomingMessage,
    res: ServerResponse,
    stored: ProxyStored,
    f: Facts,
    age: number,
    cacheStatus: string,
  ): void {
    const ageStr = String(Math.floor(age))
    const ttl = Math.trunc(f.lifetime - age)
    const status = `${cacheStatus}; ttl=${ttl}`
    const method = req.method ?? 'GET'
    if (
      stored.s === 200 &&
      (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) &&
      isNotModified(method, req.headers, { etag: f.etag, lastModified: f.lastModified })
    ) {
      const h = f.head304
      h[h.length - 3] = ageStr
      h[h.length - 1] = status
      res.writeHead(304, h)
      res.end()
      return
    }
    const h = f.head
    h[h.length - 3] = ageStr
    h[h.length - 1] = status
    res.writeHead(stored.s, h)
    if (method === 'HEAD') res.end()
    else res.end(stored.b)
  }

  /** A miss: join a fetch in flight for the key, or lead one. */
  async #miss(
    req: IncomingMessage,
    res: ServerResponse,
    host: string,
    url: string,
    primary: string,
    reqCC: CacheControl,
    fwd: CacheStatusEntry['fwd'],
    stale?: ProxyStored,
    staleKey?: string,
  ): Promise<void> {
    if (reqCC.onlyIfCached === true) {
      this.#gatewayTimeout(res, 'only-if-cached')
      return
    }
    const pending = this.#inflight.get(primary)
    if (pending !== undefined) {
      const got = await pending
      if (got !== undefined && varyMatches(got.vf, got.sk, req.headers)) {
        const f = factsOf(got, this.#o.targets, this.#o.heuristicFraction)
        const age = currentAge(
          { ageValue: got.a, date: f.date, requestTime: got.rq, responseTime: got.rs },
          this.#clock.now(),
        )
        const d = reuse(f.lifetime, age, f.cc, reqCC)
        if (d === 'fresh' || d === 'stale-acceptable') {
          this.#serve(req, res, got, f, age, this.#status({ fwd, collapsed: true }))
          return
        }
      }
      // Not reusable (uncacheable, another variant, too large): fetch alone, never queue again.
      this.#fetch(req, res, host, url, primary, reqCC, fwd, stale, staleKey, true, () => {})
      return
    }
    let release!: (s: ProxyStored | undefined) => void
    const p: Pending = new Promise((resolve) => {
      release = resolve
    })
    this.#inflight.set(primary, p)
    let done = false
    const settle = (stored: ProxyStored | undefined) => {
      if (done) return
      done = true
      release(stored)
      // Leave the settled promise in place for one turn so a request between
      // the release and the tier write still finds the response.
      setImmediate(() => {
        if (this.#inflight.get(primary) === p) this.#inflight.delete(primary)
      })
    }
    // A request that asked the origin itself (`no-cache`, `max-age`…) would not take another's answer.
    if (this.#collapse === 0 || fwd === 'request') {
      this.#fetch(req, res, host, url, primary, reqCC, fwd, stale, staleKey, false, settle)
      return
    }
    const lead = await this.#leadOrWait(req, primary, reqCC).catch(() => ALONE)
    if (lead.stored !== undefined) {
      // Another process fetched it: served from the shared tier.
      this.#serve(req, res, lead.stored, lead.f!, lead.age!, this.#status({ fwd, collapsed: true }))
      settle(lead.stored)
      return
    }
    const unlock = lead.unlock
    if (unlock === undefined) {
      this.#fetch(req, res, host, url, primary, reqCC, fwd, stale, staleKey, false, settle)
      return
    }
    let unlocked = false
    this.#fetch(req, res, host, url, primary, reqCC, fwd, stale, staleKey, false, (stored, written, uncacheable) => {
      settle(stored)
      if (unlocked) return
      unlocked = true
      // The lock goes once the response is in the shared tier (or known never to be),
      // so a process that takes it next finds the response instead of fetching again.
      const after =
        uncacheable === true
          ? this.#cache.set(passKey(primary), 1, { ttl: PASS_MEMORY, grace: 0 }).catch(noop)
          : written
      if (after === undefined) void unlock()
      else void after.then(unlock)
    })
  }

  /**
   * Coalescing across processes (a tier with locks and `collapseWait` > 0):
   * takes the URL's lock, or waits up to `collapseWait` for the process
   * holding it to store a response this request may use (woken by the bus, or
   * polling with a backoff from 10 to 100 ms). Resolves `{ unlock }` to lead
   * the fetch, `{ stored }` to serve, or nothing to fetch alone: the lock tier
   * failed, the URL answered uncacheably of late, the holder gave up without
   * storing what this request can use, or the wait ran out.
   */
  async #leadOrWait(req: IncomingMessage, primary: string, reqCC: CacheControl): Promise<Lead> {
    const cache = this.#cache
    const wait = this.#collapse
    const pass = passKey(primary)
    const deadline = performance.now() + wait
    let pause = 10
    let waited = false
    for (;;) {
      const [got, passing] = await Promise.all([cache.tryLock(primary, wait), cache.has(pass).catch(() => false)])
      if (passing) {
        if (typeof got === 'function') void got()
        return ALONE
      }
      if (got === 'none') return ALONE
      if (typeof got === 'function') {
        if (!waited) return { unlock: got }
        // Taken just after the holder we waited for stored and let go: its response may be there.
        const found = await this.#usable(req, primary, reqCC)
        if (found === undefined) return { unlock: got }
        void got()
        return found
      }
      const left = deadline - performance.now()
      if (left <= 0) return ALONE
      await cache.changed(primary, Math.min(left, pause))
      waited = true
      pause = Math.min(pause * 2, 100)
      const found = await this.#usable(req, primary, reqCC)
      if (found !== undefined) return found
    }
  }

  /** The stored response for this request when it may be served without going forward. */
  async #usable(req: IncomingMessage, primary: string, reqCC: CacheControl): Promise<Lead | undefined> {
    // `has` counts no miss: polling must not drag the cache's hit ratio down.
    if (!(await this.#cache.has(primary).catch(() => false))) return undefined
    const { stored } = await this.#lookup(primary, req.headers)
    if (stored === undefined) return undefined
    const f = factsOf(stored, this.#o.targets, this.#o.heuristicFraction)
    const age = currentAge(
      { ageValue: stored.a, date: f.date, requestTime: stored.rq, responseTime: stored.rs },
      this.#clock.now(),
    )
    const d = reuse(f.lifetime, age, f.cc, reqCC)
    return d === 'fresh' || d === 'stale-acceptable' ? { stored, f, age } : undefined
  }

  /** Revalidates a stale response in the background, once per key at a time (RFC 5861 §3). */
  #background(
    req: IncomingMessage,
    stored: ProxyStored,
    _f: Facts,
    key: string,
    host: string,
    url: string,
    primary: string,
  ): void {
    if (this.#revalidating.has(key)) return
    this.#revalidating.add(key)
    const fake = { headers: { ...req.headers }, method: 'GET', url } as IncomingMessage
    delete fake.headers['if-none-match']
    delete fake.headers['if-modified-since']
    this.#fetch(fake, undefined, host, url, primary, {}, 'stale', stored, key, false, () => {
      this.#revalidating.delete(key)
    })
  }

  /**
   * Fetches from the origin for a GET or HEAD (as GET, so the body can be
   * stored), conditionally when a stale response is at hand, and delivers
   * the result to `res` (when there is a client) while storing it.
   */
  #fetch(
    req: IncomingMessage,
    res: ServerResponse | undefined,
    host: string,
    url: string,
    primary: string,
    reqCC: CacheControl,
    fwd: CacheStatusEntry['fwd'],
    stale: ProxyStored | undefined,
    staleKey: string | undefined,
    collapsed: boolean,
    release: Settle,
  ): void {
    const headers = forwardHeaders(req, host, CONDITIONAL, this.#o.trustForwarded, true)
    if (stale !== undefined) {
      const f = factsOf(stale, this.#o.targets, this.#o.heuristicFraction)
      if (f.etag !== undefined) headers['if-none-match'] = f.etag
      if (f.lastModified !== undefined) headers['if-modified-since'] = f.lastModified
    }
    const ctx: Ctx = { req, res, host, url, primary, reqCC, stale, staleKey, fwd, collapsed, release }
    this.#withOrigin(
      () => {
        const requestTime = this.#clock.now()
        const up = this.#request({
          protocol: this.#o.origin.protocol,
          hostname: this.#o.origin.hostname,
          port: this.#o.origin.port,
          path: this.#basePath + url,
          method: 'GET',
          headers,
          agent: this.#agent,
          timeout: this.#o.originTimeout,
        })
        up.on('timeout', () => up.destroy(new Error('origin timeout')))
        up.on('error', (err) => this.#originError(ctx, err))
        up.on('response', (upRes) => {
          // originTimeout bounded the wait for these headers; the body has its own idle limit.
          up.setTimeout(this.#o.bodyTimeout)
          try {
            this.#deliver(ctx, upRes, requestTime)
          } catch (err) {
            this.#report(err)
            upRes.destroy()
            this.#originError(ctx, err)
          }
        })
        // A client that leaves before the answer does not cancel the fetch: others may be waiting for it.
        up.end()
        return up
      },
      () => this.#originError(ctx, new Error('origin timeout')),
      (err) => this.#originError(ctx, err),
    )
  }

  /** The origin could not be reached or timed out: stale-if-error, else 502/504. */
  #originError(ctx: Ctx, err: unknown): void {
    ctx.release(undefined)
    const res = ctx.res
    if (res === undefined || res.headersSent) {
      res?.destroy()
      return
    }
    if (ctx.stale !== undefined && this.#serveStaleOnError(ctx, ctx.stale, undefined)) return
    const timeout = err instanceof Error && err.message === 'origin timeout'
    // §5.2.2.2: a stale response that could not be revalidated gets 504, not the stale content.
    this.#plain(
      res,
      timeout || ctx.stale !== undefined ? 504 : 502,
      this.#status({ fwd: ctx.fwd, detail: timeout ? 'origin-timeout' : 'origin-unreachable' }),
    )
  }

  #serveStaleOnError(ctx: Ctx, stale: ProxyStored, fwdStatus: number | undefined): boolean {
    const o = this.#o
    const f = factsOf(stale, o.targets, o.heuristicFraction)
    const age = currentAge(
      { ageValue: stale.a, date: f.date, requestTime: stale.rq, responseTime: stale.rs },
      this.#clock.now(),
    )
    const resCC: CacheControl =
      f.cc.staleIfError === undefined && o.staleIfError > 0 && f.lifetime > 0
        ? { ...f.cc, staleIfError: Math.floor(o.staleIfError / 1000) }
        : f.cc
    if (!staleIfErrorAllows(f.lifetime, age, resCC, ctx.reqCC)) return false
    const entry: Entry = { hit: true, detail: 'stale-if-error' }
    if (fwdStatus !== undefined) entry.fwdStatus = fwdStatus
    this.#serve(ctx.req, ctx.res!, stale, f, age, this.#status(entry))
    return true
  }

  /** Handles the origin's answer to a GET: 304 freshening, stale-if-error, or storing while streaming. */
  #deliver(ctx: Ctx, up: IncomingMessage, requestTime: number): void {
    const o = this.#o
    const responseTime = this.#clock.now()
    const status = up.statusCode ?? 502
    const hop = hopByHop(up.headers)
    const { req, res, stale } = ctx
    if (status === 304 && stale !== undefined && ctx.staleKey !== undefined) {
      up.resume()
      const fresh = cleanHeaders(up.rawHeaders, hop, NOT_STORED_ON_304)
      const h = updateHeaders(stale.h, fresh)
      if (flatGet(h, 'date') === undefined || up.headers.date !== undefined) {
        setFlat(h, 'date', up.headers.date ?? formatHttpDate(responseTime))
      }
      const updated: ProxyStored = { ...stale, h, rq: requestTime, rs: responseTime, a: ageValue(up.headers.age) }
      ctx.release(updated, this.#write(ctx, ctx.staleKey, updated, undefined))
      if (res !== undefined) {
        // A Set-Cookie on the 304 goes to the client that caused it, never into the stored copy.
        const cookies = cleanHeaders(up.rawHeaders, hop, undefined).filter(
          (_v, i, a) => a[i - (i % 2)] === 'set-cookie',
        )
        const shown = cookies.length === 0 ? updated : { ...updated, h: [...updated.h, ...cookies] }
        const f = factsOf(shown, o.targets, o.heuristicFraction)
        const age = currentAge({ ageValue: updated.a, date: f.date, requestTime, responseTime }, this.#clock.now())
        this.#serve(req, res, shown, f, age, this.#status({ fwd: ctx.fwd, fwdStatus: 304, stored: true }))
      }
      return
    }
    if (status >= 500 && stale !== undefined && res !== undefined && this.#serveStaleOnError(ctx, stale, status)) {
      up.resume()
      ctx.release(undefined)
      return
    }
    if (status >= 500 && res === undefined) {
      // A background revalidation failed: keep serving what is stored.
      up.resume()
      ctx.release(undefined)
      return
    }
    // Decide whether to store.
    const raw = cleanHeaders(up.rawHeaders, hop, undefined)
    const { cc, targeted, record } = directives(raw, o.targets)
    const vary = parseVary(record.vary)
    let reason: string | undefined = notStorableReason(
      {
        method: 'GET',
        requestCacheControl: ctx.reqCC,
        authorization: hasCredentials(req.headers),
        status,
        cacheControl: cc,
        hasExpires: !targeted && record.expires !== undefined,
        vary,
      },
      true,
      ANY_FINAL_STATUS,
    )
    if (reason === undefined && record['set-cookie'] !== undefined && !o.storeSetCookie) reason = 'set-cookie'
    const declared = up.headers['content-length'] === undefined ? undefined : Number(up.headers['content-length'])
    if (reason === undefined && declared !== undefined && declared > o.maxObjectSize) reason = 'too-large'
    const { lifetime, date } = lifetimeOf(status, cc, targeted, record, responseTime, o.heuristicFraction)
    const initialAge = currentAge({ ageValue: ageValue(up.headers.age), date, requestTime, responseTime }, responseTime)
    let keepMs = 0
    if (reason === undefined) {
      // The grace and staleIfError options stand in for directives the origin did not
      // send; a response it never made fresh (no freshness at all) is not theirs to serve.
      const swr = Math.max((cc.staleWhileRevalidate ?? 0) * 1000, lifetime > 0 ? o.grace : 0)
      const sie = Math.max((cc.staleIfError ?? 0) * 1000, lifetime > 0 ? o.staleIfError : 0)
      // Keeping a response that was never fresh and cannot be validated would only hold memory.
      const useful = lifetime > 0 || record.etag !== undefined || record['last-modified'] !== undefined
      keepMs = Math.max(0, (lifetime - initialAge) * 1000) + Math.max(swr, sie, useful ? o.keep : 0)
      if (keepMs <= 0) reason = 'no-freshness'
    }
    const storing = reason === undefined
    // Even when only this request's Authorization forbade storing: waiting behind the
    // next such request would queue processes one behind another (the URL is merely
    // coalesced per process for a while).
    if (!storing) ctx.release(undefined, undefined, true)

    // Headers for the client.
    let clientHead = raw
    if (o.targets.includes('surrogate-control') && record['surrogate-control'] !== undefined) {
      clientHead = cleanHeaders(raw, hop, SURROGATE_CONTROL)
    }
    if (record.date === undefined) clientHead = [...clientHead, 'date', formatHttpDate(responseTime)]
    const entry: Entry = { fwd: ctx.fwd }
    if (stale !== undefined) entry.fwdStatus = status
    if (storing) entry.stored = true
    else entry.detail = reason
    if (ctx.collapsed) entry.collapsed = true
    if (storing) entry.ttl = Math.trunc(lifetime - initialAge)
    clientHead.push('cache-status', this.#status(entry))

    let clientOpen = res !== undefined
    if (res !== undefined) {
      const method = req.method ?? 'GET'
      const conditional =
        status === 200 &&
        (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) &&
        isNotModified(method, req.headers, { etag: record.etag, lastModified: record['last-modified'] })
      if (conditional) {
        res.writeHead(304, retained304(clientHead))
        res.end()
        clientOpen = false
      } else if (method === 'HEAD') {
        res.writeHead(status, clientHead)
        res.end()
        clientOpen = false
      } else {
        res.writeHead(status, clientHead)
      }
      res.on('close', () => {
        clientOpen = false
        if (!collecting) up.destroy()
        else up.resume()
      })
    }
    let collecting = storing
    if (!clientOpen && !collecting) {
      up.destroy()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    // A throw in a stream's event handler would reach nothing that catches it and end the process.
    const broke = (err: unknown) => {
      this.#report(err)
      collecting = false
      ctx.release(undefined)
      up.destroy()
      res?.destroy()
    }
    up.on('data', (chunk: Buffer) => {
      try {
        onData(chunk)
      } catch (err) {
        broke(err)
      }
    })
    const onData = (chunk: Buffer) => {
      if (collecting) {
        size += chunk.length
        if (size > o.maxObjectSize) {
          collecting = false
          chunks.length = 0
          ctx.release(undefined, undefined, true)
          if (!clientOpen) {
            up.destroy()
            return
          }
        } else chunks.push(chunk)
      }
      if (clientOpen && res !== undefined && !res.write(chunk)) {
        up.pause()
        res.once('drain', () => up.resume())
      }
    }
    up.on('end', () => {
      try {
        onEnd()
      } catch (err) {
        broke(err)
      }
    })
    const onEnd = () => {
      if (clientOpen && res !== undefined) res.end()
      if (!collecting) return
      if (!up.complete || (declared !== undefined && declared !== size)) {
        ctx.release(undefined)
        return
      }
      const body = Buffer.concat(chunks, size)
      const stored = this.#build(ctx, status, raw, cc, vary as string[], body, requestTime, responseTime)
      const written = this.#write(ctx, undefined, stored, {
        ttl: keepMs,
        tags: tagsFor(ctx.host, ctx.url, surrogateKeys(record['surrogate-key'], record['cache-tag'])),
      })
      ctx.release(stored, written)
    }
    up.on('error', () => {
      ctx.release(undefined)
      res?.destroy()
    })
    up.on('aborted', () => {
      ctx.release(undefined)
      res?.destroy()
    })
  }

  #build(
    ctx: Ctx,
    status: number,
    raw: readonly string[],
    cc: CacheControl,
    vary: string[],
    body: Buffer,
    requestTime: number,
    responseTime: number,
  ): ProxyStored {
    const drop = new Set(NOT_STORED)
    if (this.#o.storeSetCookie) drop.add('set-cookie')
    // §5.2.2.4: fields a qualified no-cache names are never reused without revalidation: not stored at all.
    if (Array.isArray(cc.noCache)) for (const n of cc.noCache) drop.add(n)
    const h: string[] = []
    let date: string | undefined
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i]!
      if (n === 'date') date ??= raw[i + 1]
      if (!drop.has(n)) h.push(n, raw[i + 1]!)
    }
    h.push('date', date ?? formatHttpDate(responseTime))
    if (status !== 204 && status !== 304) h.push('content-length', String(body.byteLength))
    const age = raw.indexOf('age')
    return {
      v: 1,
      s: status,
      h,
      b: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      rq: requestTime,
      rs: responseTime,
      a: age === -1 || age % 2 === 1 ? 0 : ageValue(raw[age + 1]),
      vf: vary,
      sk: vary.length === 0 ? '' : secondaryKey(vary, ctx.req.headers),
    }
  }

  /** Writes a stored response under its key (and the Vary index under the primary key); never rejects. */
  #write(
    ctx: Ctx,
    key: string | undefined,
    stored: ProxyStored,
    opts: { ttl: number; tags: string[] } | undefined,
  ): Promise<void> {
    const cache = this.#cache
    const o = this.#o
    let ttl: number
    let tags: string[]
    if (opts === undefined) {
      // A freshened response: same tags, storage time recomputed from its new headers.
      const f = factsOf(stored, o.targets, o.heuristicFraction)
      const swr = Math.max((f.cc.staleWhileRevalidate ?? 0) * 1000, f.lifetime > 0 ? o.grace : 0)
      const sie = Math.max((f.cc.staleIfError ?? 0) * 1000, f.lifetime > 0 ? o.staleIfError : 0)
      ttl = Math.max(0, (f.lifetime - stored.a) * 1000) + Math.max(swr, sie, o.keep)
      tags = tagsFor(
        ctx.host,
        ctx.url,
        surrogateKeys(flatGet(stored.h, 'surrogate-key'), flatGet(stored.h, 'cache-tag')),
      )
    } else {
      ttl = opts.ttl
      tags = opts.tags
    }
    const options = { ttl: Math.max(1, Math.ceil(ttl)), grace: 0, tags }
    if (key !== undefined) return cache.set(key, stored, options).catch(noop)
    if (stored.vf.length === 0) return cache.set(ctx.primary, stored, options).catch(noop)
    const index: ProxyVaryIndex = { v: 1, vary: stored.vf }
    const a = cache.set(ctx.primary, index, { ...options, ttl: Math.max(options.ttl, o.keep) }).catch(noop)
    const b = cache.set(fitKey(`${ctx.primary}\n~${stored.sk}`), stored, options).catch(noop)
    return Promise.all([a, b]).then(noop)
  }

  /** Range requests: served from a fresh stored 200, else passed through untouched (206 is never stored). */
  #range(
    req: IncomingMessage,
    res: ServerResponse,
    host: string,
    url: string,
    primary: string,
    reqCC: CacheControl,
  ): void {
    this.#lookup(primary, req.headers)
      .then(({ stored }) => {
        if (stored !== undefined && stored.s === 200) {
          const f = factsOf(stored, this.#o.targets, this.#o.heuristicFraction)
          const age = currentAge(
            { ageValue: stored.a, date: f.date, requestTime: stored.rq, responseTime: stored.rs },
            this.#clock.now(),
          )
          if (reuse(f.lifetime, age, f.cc, reqCC) === 'fresh') {
            serveRange(req, res, stored, f, age, `${this.#hit}; ttl=${Math.trunc(f.lifetime - age)}`)
            return
          }
        }
        this.#pass(req, res, host, url, 'miss', 'range')
      })
      .catch((err: unknown) => this.#fail(res, err))
  }

  /**
   * Forwards a request untouched (body streamed both ways). After an unsafe
   * method's non-error response, invalidates the target and its
   * `Location`/`Content-Location` (RFC 9111 §4.4).
   */
  #pass(
    req: IncomingMessage,
    res: ServerResponse,
    host: string,
    url: string,
    fwd: CacheStatusEntry['fwd'],
    detail?: string,
  ): void {
    const method = req.method ?? 'GET'
    const headers = forwardHeaders(req, host, undefined, this.#o.trustForwarded, false)
    const fail = (timeout: boolean) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      this.#plain(
        res,
        timeout ? 504 : 502,
        this.#status({ fwd, detail: timeout ? 'origin-timeout' : 'origin-unreachable' }),
      )
    }
    this.#withOrigin(
      () => {
        // The client left while this waited for a connection: nothing to send it.
        if (res.destroyed) return undefined
        const up = this.#request({
          protocol: this.#o.origin.protocol,
          hostname: this.#o.origin.hostname,
          port: this.#o.origin.port,
          path: this.#basePath + url,
          method,
          headers,
          agent: this.#agent,
          timeout: this.#o.originTimeout,
        })
        up.on('timeout', () => up.destroy(new Error('origin timeout')))
        up.on('error', (err) => fail(err.message === 'origin timeout'))
        up.on('response', (upRes) => {
          up.setTimeout(this.#o.bodyTimeout)
          try {
            this.#passResponse(res, host, url, method, fwd, detail, upRes)
          } catch (err) {
            this.#report(err)
            upRes.destroy()
            fail(false)
          }
        })
        res.on('close', () => {
          if (!res.writableFinished) up.destroy()
        })
        req.pipe(up)
        return up
      },
      () => fail(true),
      () => fail(false),
    )
  }

  /** The origin's answer to a passed request: streamed to the client, after invalidating what an unsafe method changed. */
  #passResponse(
    res: ServerResponse,
    host: string,
    url: string,
    method: string,
    fwd: CacheStatusEntry['fwd'],
    detail: string | undefined,
    upRes: IncomingMessage,
  ): void {
    const status = upRes.statusCode ?? 502
    const head = cleanHeaders(upRes.rawHeaders, hopByHop(upRes.headers), undefined)
    const entry: Entry = { fwd, fwdStatus: status }
    if (detail !== undefined) entry.detail = detail
    head.push('cache-status', this.#status(entry))
    const send = () => {
      res.writeHead(status, head)
      upRes.pipe(res)
    }
    // pipe() leaves the client waiting when the origin's body breaks off: end it as broken too.
    const broken = () => {
      if (!upRes.complete) res.destroy()
    }
    upRes.on('aborted', broken)
    upRes.on('error', broken)
    if (SAFE_METHODS.has(method)) {
      send()
      return
    }
    const targets = invalidationTargets(
      method,
      status,
      `http://${host}${url}`,
      upRes.headers.location,
      upRes.headers['content-location'],
    )
    if (targets.length === 0) {
      send()
      return
    }
    const tags = targets.map((t) => {
      const u = new URL(t)
      return urlTag(host, u.pathname + u.search)
    })
    this.#cache
      .invalidateTags(tags)
      .then(send, send)
      .catch((err: unknown) => {
        this.#report(err)
        res.destroy()
      })
  }

  #status(entry: Omit<CacheStatusEntry, 'cache'>): string {
    return formatCacheStatus({ cache: this.#o.name, ...entry })
  }

  #gatewayTimeout(res: ServerResponse, detail: string): void {
    this.#plain(res, 504, this.#status({ fwd: 'miss', detail }))
  }

  #plain(res: ServerResponse, status: number, cacheStatus: string): void {
    const body = `${http.STATUS_CODES[status] ?? 'Error'}\n`
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-status': cacheStatus,
    })
    res.end(body)
  }

  /** A fault of the proxy's own (a bug, or input it failed to foresee): told to `onError`, never thrown. */
  #report(err: unknown): void {
    try {
      this.#o.onError(err)
    } catch {
      // A reporter that throws must not turn a reported fault into a crash.
    }
  }

  /** Answers 502 for a fault of the proxy's own (reported to `onError`), or breaks a response already begun. */
  #fail(res: ServerResponse, err: unknown): void {
    this.#report(err)
    if (res.headersSent) res.destroy()
    else this.#plain(res, 502, this.#status({ fwd: 'miss', detail: 'proxy-error' }))
  }
}

const VIA = '1.1 cachestack'

/** How many `Host` lines a request has (node keeps only the first in `req.headers`). */
function hostLines(raw: readonly string[] | undefined): number {
  if (raw === undefined) return 0
  let n = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) n++
  }
  return n
}

function noop(): void {}

/** The key remembering that a URL's last answer could not be stored (see `PASS_MEMORY`). */
function passKey(primary: string): string {
  return fitKey(`${primary}\n!pass`)
}
const ANY_FINAL_STATUS = { anyFinalStatus: true }
const SURROGATE_CONTROL = new Set(['surrogate-control'])
const NOT_STORED_ON_304 = new Set(['age', 'cache-status', 'content-length', 'set-cookie'])

/** The request's directives; `Pragma: no-cache` counts as `no-cache` when there is no `Cache-Control` (RFC 9111 §5.4). */
function requestDirectives(req: IncomingMessage): CacheControl {
  const cc = req.headers['cache-control']
  if (cc !== undefined) return parseCacheControl(cc)
  const pragma = req.headers.pragma
  if (pragma !== undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(pragma)) return { noCache: true }
  return EMPTY
}
const EMPTY: CacheControl = Object.freeze({}) as CacheControl

function parseAbsolute(url: string): URL | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

function pathOnly(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function ageValue(v: string | undefined): number {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return 0
  return Math.min(Number(v), 2147483648)
}

function setFlat(h: string[], name: string, value: string): void {
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) {
      h[i + 1] = value
      return
    }
  }
  h.push(name, value)
}

function retained304(head: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < head.length; i += 2) {
    const n = head[i]!
    if ((RETAINED_304_HEADERS as readonly string[]).includes(n) || n === 'cache-status' || n === 'age') {
      out.push(n, head[i + 1]!)
    }
  }
  return out
}

/**
 * Request fields through which a client tells the origin which host, scheme,
 * port or path prefix it used: an origin builds links and redirects from
 * them, and the cache key does not hold them, so a spoofed value would be
 * stored for everyone (James Kettle, "Practical Web Cache Poisoning", 2018).
 * Dropped from client requests unless `trustForwarded` is set, in which case
 * they are part of the key. The client address fields are here too: the
 * proxy sets `X-Forwarded-For` itself.
 */
/**
 * Fields that name the client's address. An origin may trust them (rate
 * limits, logs, geo); from an untrusted client they are dropped, and
 * `X-Forwarded-For` is set from the socket.
 */
const CLIENT_ADDRESS = [
  'x-forwarded-for',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
]
const FORWARDING = new Set([...FORWARDED_HEADERS, ...CLIENT_ADDRESS])
/** The forwarding fields that can change a body (links, redirects): keyed when trusted. Addresses are not. */
const FORWARDING_KEYED = [...FORWARDED_HEADERS].sort()

/**
 * Request fields that make an origin answer another URL or method than the
 * one in the request line: never sent on a fetch whose answer may be stored.
 */
const OVERRIDES = new Set(OVERRIDE_HEADERS)

/** The key suffix for trusted forwarding fields, empty when the request has none. */
function forwardedKey(headers: IncomingMessage['headers']): string {
  for (const name of FORWARDING_KEYED) {
    if (headers[name] === undefined) continue
    const forwarded = headers.forwarded
    // `Forwarded` also names the client (`for=`) and the proxy (`by=`): keyed on
    // those, every client would get an entry of its own. Only host and proto count.
    const keyed = forwarded === undefined ? headers : { ...headers, forwarded: forwardedHostProto(forwarded) }
    return `\n^${secondaryKey(FORWARDING_KEYED, keyed)}`
  }
  return ''
}

/** The `host=` and `proto=` parameters of a `Forwarded` value (RFC 7239), in order. */
function forwardedHostProto(value: string): string {
  const out: string[] = []
  for (const element of value.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=')
      if (eq === -1) continue
      const name = pair.slice(0, eq).trim().toLowerCase()
      if (name === 'host' || name === 'proto')
        out.push(
          `${name}=${pair
            .slice(eq + 1)
            .trim()
            .toLowerCase()}`,
        )
    }
  }
  return out.join(';')
}

/**
 * The request's headers for the origin: hop-by-hop fields removed, the
 * client's forwarding fields dropped unless trusted, `X-Forwarded-*` added;
 * on a fetch whose answer may be stored (`cacheable`), method and URL
 * overrides removed too.
 */
function forwardHeaders(
  req: IncomingMessage,
  host: string,
  drop: ReadonlySet<string> | undefined,
  trustForwarded: boolean,
  cacheable: boolean,
): Record<string, string | string[]> {
  const hop = hopByHop(req.headers)
  // No prototype: a client's `__proto__` or `constructor` field is a field like any other.
  const out = Object.create(null) as Record<string, string | string[]>
  const skip = (name: string) =>
    name.charCodeAt(0) === 58 /* : an HTTP/2 pseudo-header */ ||
    hop.has(name) ||
    drop?.has(name) === true ||
    (!trustForwarded && FORWARDING.has(name)) ||
    (cacheable && OVERRIDES.has(name))
  const raw = req.rawHeaders
  if (raw === undefined) {
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !skip(k)) out[k] = v
    }
  } else {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase()
      if (skip(name)) continue
      const prev = out[name]
      if (prev === undefined) out[name] = raw[i + 1]!
      else out[name] = Array.isArray(prev) ? [...prev, raw[i + 1]!] : [prev, raw[i + 1]!]
    }
  }
  out.host = host
  const remote = req.socket?.remoteAddress
  if (remote !== undefined) {
    // An untrusted client's own X-Forwarded-For is replaced, not extended: an
    // origin reading its first address (a rate limiter) would count a spoofed one.
    const prior = trustForwarded ? req.headers['x-forwarded-for'] : undefined
    out['x-forwarded-for'] = prior === undefined ? remote : `${prior}, ${remote}`
  } else if (!trustForwarded) delete out['x-forwarded-for']
  out['x-forwarded-proto'] ??= 'http'
  // RFC 9110 §7.6.3: a gateway sends Via on the requests it forwards.
  const via = out.via
  out.via = via === undefined ? VIA : `${Array.isArray(via) ? via.join(', ') : via}, ${VIA}`
  return out
}
