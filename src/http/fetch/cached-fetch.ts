/**
 * `cachedFetch`: `fetch` wrapped as an RFC 9111 cache backed by any cachestack
 * cache, for calls to external APIs: fresh responses are reused, stale ones
 * revalidated with `If-None-Match`/`If-Modified-Since`, `stale-while-revalidate`
 * and `stale-if-error` honoured, and concurrent identical requests coalesced
 * into one. Private by default (RFC 9111 §3: it may store `private` responses);
 * requests carrying `Authorization` or `Cookie` are keyed by a hash of them so
 * one credential's responses never answer another's.
 *
 * Bodies up to `maxBodySize` are buffered and stored; a larger one is streamed
 * to the caller, never held whole: this is for API calls, not downloads.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Cache } from '../../core/cache.js'
import { type Clock, systemClock } from '../../core/clock.js'
import { type Duration, parseDuration, parseSize, type Size } from '../../core/duration.js'
import { invalidOption } from '../../core/errors.js'
import { type CacheControl, parseCacheControl } from '../semantics/cache-control.js'
import { formatCacheStatus } from '../semantics/cache-status.js'
import { currentAge, freshnessLifetime, reuse, staleIfErrorAllows } from '../semantics/freshness.js'
import { parseHttpDate } from '../semantics/headers.js'
import { notStorableReason } from '../semantics/storable.js'
import { parseVary, secondaryKey } from '../semantics/vary.js'
import { readUpTo } from './read-up-to.js'

/** Options of {@link cachedFetch}. */
export interface CachedFetchOptions {
  /** Where responses are stored (a Redis tier shares them across processes). */
  cache: Cache
  /** The fetch to wrap. @defaultValue `globalThis.fetch` (undici) */
  fetch?: (request: Request) => Promise<Response>
  /** The clock ages are computed with. @defaultValue `Date.now` */
  clock?: Clock
  /** Behave as a shared cache (honour `s-maxage`, refuse `private`). @defaultValue false */
  shared?: boolean
  /** The largest body buffered and stored; a larger one is streamed through. @defaultValue '5mb' */
  maxBodySize?: Size
  /**
   * How long a stale response with a validator (ETag or Last-Modified) is
   * kept after it goes stale, so it can be revalidated with a 304 instead of
   * refetched. @defaultValue '1d'
   */
  keepStale?: Duration
  /** The `Cache-Status` name; `false` for no header. @defaultValue 'cachestack-fetch' */
  cacheStatus?: string | false
}

/** A stored response. */
interface Entry {
  v: 1
  status: number
  statusText: string
  headers: [string, string][]
  body: Uint8Array
  requestTime: number
  responseTime: number
  vary: string[]
  varyKey: string
}

/** A response snapshot shared by coalesced callers; each gets its own `Response`. */
interface Snapshot {
  status: number
  statusText: string
  headers: [string, string][]
  body: Uint8Array | null
  /**
   * A body over `maxBodySize`: streamed, never buffered whole nor stored, so
   * only one caller can read it (`claimed`); other coalesced callers fetch alone.
   */
  stream?: ReadableStream<Uint8Array>
  claimed?: boolean
}

const CONDITIONAL = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range']
// RFC 9111 §3.2: fields a 304 must not replace in the stored response.
const KEEP_ON_304 = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding'])

function header(list: readonly [string, string][], name: string): string | undefined {
  let out: string | undefined
  for (const [k, v] of list) if (k === name) out = out === undefined ? v : `${out}, ${v}`
  return out
}

/**
 * The request without its caller's `AbortSignal`: a fetch shared by coalesced
 * callers must not fail them all because the first one gave up.
 */
function detached(request: Request): Request {
  return new Request(request, { signal: null })
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts (this caller alone gives up). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

function noBody(status: number): boolean {
  return status === 204 || status === 205 || status === 304
}

/**
 * Wraps `fetch` with an RFC 9111 cache.
 *
 * @param options - see {@link CachedFetchOptions}
 * @returns a function with `fetch`'s signature
 * @example
 * ```ts
 * const fetchWeather = cachedFetch({ cache })
 * const res = await fetchWeather(`https://api.example.com/weather?city=${city}`)
 * res.headers.get('cache-status') // 'cachestack-fetch; hit' on a reuse
 * ```
 */
export function cachedFetch(
  options: CachedFetchOptions,
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  const cache = options.cache
  if (cache === null || typeof cache !== 'object' || typeof cache.get !== 'function') {
    throw invalidOption('cache', 'a cachestack cache (createCache(...))', cache)
  }
  const upstream = options.fetch ?? ((r: Request) => globalThis.fetch(r))
  if (typeof upstream !== 'function') throw invalidOption('fetch', 'a fetch function', upstream)
  const clock = options.clock ?? systemClock
  const shared = options.shared ?? false
  const maxBody = options.maxBodySize === undefined ? 5 * 1024 * 1024 : parseSize(options.maxBodySize, 'maxBodySize')
  const keepStale = options.keepStale === undefined ? 86_400_000 : parseDuration(options.keepStale, 'keepStale')
  const name = options.cacheStatus ?? 'cachestack-fetch'
  const status = (e: Omit<Parameters<typeof formatCacheStatus>[0], 'cache'>) =>
    name === false ? undefined : formatCacheStatus({ cache: name, ...e })
  const inflight = new Map<string, Promise<Snapshot>>()

  function keyOf(request: Request): string {
    const auth = request.headers.get('authorization')
    const cookie = request.headers.get('cookie')
    const url = new URL(request.url)
    url.hash = ''
    let key = `fetch:${url.href}`
    if (auth !== null || cookie !== null) {
      key += `\ncredentials=${createHash('sha256')
        .update(`${auth ?? ''}\n${cookie ?? ''}`)
        .digest('base64url')}`
    }
    return key.length > 900 ? `fetch:#${createHash('sha256').update(key).digest('base64url')}` : key
  }

  function lifetimeOf(entry: Entry, cc: CacheControl): number {
    const date = parseHttpDate(header(entry.headers, 'date')) ?? entry.responseTime
    const expiresHeader = header(entry.headers, 'expires')
    return freshnessLifetime(
      {
        status: entry.status,
        cacheControl: cc,
        date,
        expires: expiresHeader === undefined ? undefined : (parseHttpDate(expiresHeader) ?? null),
        lastModified: parseHttpDate(header(entry.headers, 'last-modified')),
      },
      { shared },
    ).seconds
  }

  function ageOf(entry: Entry, now: number): number {
    const ageHeader = Number.parseInt(header(entry.headers, 'age') ?? '0', 10)
    return currentAge(
      {
        ageValue: Number.isFinite(ageHeader) && ageHeader > 0 ? ageHeader : 0,
        date: parseHttpDate(header(entry.headers, 'date')),
        requestTime: entry.requestTime,
        responseTime: entry.responseTime,
      },
      now,
    )
  }

  function respond(snap: Snapshot, head: boolean, age: number | undefined, cacheStatus: string | undefined): Response {
    const headers = new Headers()
    for (const [k, v] of snap.headers) if (k !== 'age') headers.append(k, v)
    if (age !== undefined) headers.set('age', String(Math.floor(age)))
    if (cacheStatus !== undefined) headers.set('cache-status', cacheStatus)
    const body = head || noBody(snap.status) || snap.body === null ? null : snap.body.slice()
    return new Response(body, { status: snap.status, statusText: snap.statusText, headers })
  }

  /** Fetches, buffers, and stores when the rules allow. */
  async function fetchAndStore(
    key: string,
    request: Request,
    reqCC: CacheControl,
    stale: Entry | undefined,
  ): Promise<Snapshot> {
    const requestTime = clock.now()
    let res: Response
    try {
      res = await upstream(request)
    } catch (err) {
      if (stale !== undefined && staleUsableOnError(stale, reqCC)) return staleSnapshot(stale, 'error')
      throw err
    }
    const responseTime = clock.now()
    if (stale !== undefined && res.status >= 500 && staleUsableOnError(stale, reqCC)) {
      await res.body?.cancel()
      return staleSnapshot(stale, 'error')
    }
    if (stale !== undefined && res.status === 304) {
      const updated = new Map<string, [string, string][]>()
      for (const [k, v] of res.headers) {
        if (!KEEP_ON_304.has(k)) updated.set(k, [...(updated.get(k) ?? []), [k, v]])
      }
      const headers = stale.headers.filter(([k]) => !updated.has(k))
      for (const list of updated.values()) headers.push(...list)
      const entry: Entry = { ...stale, headers, requestTime, responseTime }
      await store(key, entry, reqCC, request)
      return { ...snapshotOf(entry), headers: withStatus(entry.headers, status({ fwd: 'stale', fwdStatus: 304 })) }
    }
    const headers: [string, string][] = []
    for (const [k, v] of res.headers) headers.push([k, v])
    let body: Uint8Array | null = null
    if (!noBody(res.status) && request.method !== 'HEAD' && res.body !== null) {
      const read = await readUpTo(res.body, maxBody)
      if (read.rest !== undefined) {
        // Too large to store: streamed to the caller instead of held in memory.
        const headers: [string, string][] = []
        for (const [k, v] of res.headers) headers.push([k, v])
        return {
          status: res.status,
          statusText: res.statusText,
          headers: withStatus(
            headers,
            status({ fwd: stale === undefined ? 'uri-miss' : 'stale', fwdStatus: res.status, detail: 'too-large' }),
          ),
          body: null,
          stream: read.rest,
        }
      }
      body = read.body
    }
    const vary = parseVary(res.headers.get('vary'))
    let stored = false
    if (request.method === 'GET' && body !== null && vary !== '*' && body.byteLength <= maxBody) {
      const entry: Entry = {
        v: 1,
        status: res.status,
        statusText: res.statusText,
        headers,
        body,
        requestTime,
        responseTime,
        vary,
        varyKey: secondaryKey(vary, request.headers),
      }
      stored = await store(key, entry, reqCC, request)
    }
    return {
      status: res.status,
      statusText: res.statusText,
      headers: withStatus(
        headers,
        status({ fwd: stale === undefined ? 'uri-miss' : 'stale', fwdStatus: res.status, stored }),
      ),
      body,
    }
  }

  /** A too-large response: the first caller reads its stream; any other fetches on its own. */
  function streamed(snap: Snapshot, request: Request): Response | Promise<Response> {
    if (snap.claimed === true) return upstream(request)
    snap.claimed = true
    const headers = new Headers()
    for (const [k, v] of snap.headers) headers.append(k, v)
    return new Response(snap.stream!, { status: snap.status, statusText: snap.statusText, headers })
  }

  function withStatus(headers: [string, string][], value: string | undefined): [string, string][] {
    return value === undefined ? headers : [...headers.filter(([k]) => k !== 'cache-status'), ['cache-status', value]]
  }

  function snapshotOf(entry: Entry): Snapshot {
    return { status: entry.status, statusText: entry.statusText, headers: entry.headers, body: entry.body }
  }

  function staleUsableOnError(entry: Entry, reqCC: CacheControl): boolean {
    const cc = parseCacheControl(header(entry.headers, 'cache-control'))
    return staleIfErrorAllows(lifetimeOf(entry, cc), ageOf(entry, clock.now()), cc, reqCC, { shared })
  }

  function staleSnapshot(entry: Entry, detail: string): Snapshot {
    const headers = [
      ...entry.headers.filter(([k]) => k !== 'age'),
      ['age', String(Math.floor(ageOf(entry, clock.now())))] as [string, string],
    ]
    return { ...snapshotOf(entry), headers: withStatus(headers, status({ hit: true, detail: `stale-if-${detail}` })) }
  }

  /** Stores an entry when RFC 9111 §3 and the safety rules allow; resolves whether it did. */
  async function store(key: string, entry: Entry, reqCC: CacheControl, request: Request): Promise<boolean> {
    const cc = parseCacheControl(header(entry.headers, 'cache-control'))
    const reason = notStorableReason(
      {
        method: 'GET',
        requestCacheControl: reqCC,
        authorization: request.headers.has('authorization'),
        status: entry.status,
        cacheControl: cc,
        hasExpires: header(entry.headers, 'expires') !== undefined,
        vary: entry.vary,
      },
      shared,
    )
    // Never keep a response that sets a cookie: replaying it would hand one session's cookie to later calls.
    if (reason !== undefined || entry.headers.some(([k]) => k === 'set-cookie')) return false
    const lifetime = lifetimeOf(entry, cc) * 1000
    const validators =
      header(entry.headers, 'etag') !== undefined || header(entry.headers, 'last-modified') !== undefined
    const extra = Math.max(
      (cc.staleWhileRevalidate ?? 0) * 1000,
      (cc.staleIfError ?? 0) * 1000,
      validators ? keepStale : 0,
    )
    const retain = lifetime + extra
    if (!(retain > 0)) return false
    try {
      await cache.set(key, entry, { ttl: retain })
      return true
    } catch {
      return false // a cache fault: the response is still good
    }
  }

  function coalesce(id: string, run: () => Promise<Snapshot>): Promise<Snapshot> {
    let p = inflight.get(id)
    if (p === undefined) {
      p = run().finally(() => inflight.delete(id))
      inflight.set(id, p)
    }
    return p
  }

  function flightId(key: string, request: Request): string {
    const parts: string[] = []
    request.headers.forEach((v, k) => {
      parts.push(`${k}:${v}`)
    })
    return `${key}\n${parts.sort().join('\n')}`
  }

  return async function cachedFetchCall(input, init) {
    const request = new Request(input, init)
    const method = request.method
    if (method !== 'GET' && method !== 'HEAD') {
      const res = await upstream(request)
      // RFC 9111 §4.4: a successful unsafe request invalidates the stored response of its URL.
      if (method !== 'OPTIONS' && method !== 'TRACE' && res.status < 400) {
        await cache.delete(keyOf(new Request(request.url, { headers: request.headers }))).catch(() => false)
      }
      return res
    }
    if (CONDITIONAL.some((h) => request.headers.has(h))) return upstream(request)
    const ccHeader = request.headers.get('cache-control')
    const reqCC = parseCacheControl(ccHeader)
    if (ccHeader === null && /no-cache/i.test(request.headers.get('pragma') ?? '')) reqCC.noCache = true
    // The Fetch standard's cache modes (`fetch(url, { cache: 'no-store' })`) address
    // the HTTP cache, which this is: honoured as their request directives would be.
    const mode = request.cache
    if (reqCC.noStore === true || mode === 'no-store') return upstream(request)
    if (mode === 'no-cache') reqCC.noCache = true
    const anyStored = mode === 'force-cache' || mode === 'only-if-cached'
    if (mode === 'only-if-cached') reqCC.onlyIfCached = true
    const key = keyOf(request)
    const head = method === 'HEAD'
    let entry: Entry | undefined
    try {
      // 'reload': fetch anew (and store), whatever is stored.
      entry = mode === 'reload' ? undefined : await cache.get<Entry>(key)
    } catch {
      entry = undefined
    }
    if (entry !== undefined && entry.vary.length > 0 && secondaryKey(entry.vary, request.headers) !== entry.varyKey) {
      entry = undefined // a different variant: RFC 9111 §4.1 (one variant is kept per URL)
    }
    const now = clock.now()
    if (entry !== undefined) {
      const cc = parseCacheControl(header(entry.headers, 'cache-control'))
      const age = ageOf(entry, now)
      const lifetime = lifetimeOf(entry, cc)
      // 'force-cache' and 'only-if-cached' take a stored response however stale.
      const decision = anyStored ? 'stale-acceptable' : reuse(lifetime, age, cc, reqCC, { shared })
      if (decision === 'fresh' || decision === 'stale-acceptable') {
        return respond(snapshotOf(entry), head, age, status({ hit: true, ttl: lifetime - age }))
      }
      if (decision === 'stale-while-revalidate') {
        const stale = entry
        void coalesce(flightId(key, request), () => revalidate(key, request, reqCC, stale)).catch(() => {})
        return respond(
          snapshotOf(entry),
          head,
          age,
          status({ hit: true, ttl: lifetime - age, detail: 'stale-while-revalidate' }),
        )
      }
      if (reqCC.onlyIfCached === true) return new Response(null, { status: 504, statusText: 'Gateway Timeout' })
      const stale = entry
      const snap = await untilAborted(
        coalesce(flightId(key, request), () => revalidate(key, request, reqCC, stale)),
        request.signal,
      )
      if (snap.stream !== undefined) return streamed(snap, request)
      return respond(snap, head, undefined, undefined)
    }
    if (reqCC.onlyIfCached === true) return new Response(null, { status: 504, statusText: 'Gateway Timeout' })
    if (head) return upstream(request)
    const forAll = detached(request)
    const snap = await untilAborted(
      coalesce(flightId(key, request), () => fetchAndStore(key, forAll, reqCC, undefined)),
      request.signal,
    )
    if (snap.stream !== undefined) return streamed(snap, request)
    return respond(snap, false, undefined, undefined)
  }

  function revalidate(key: string, request: Request, reqCC: CacheControl, stale: Entry): Promise<Snapshot> {
    const headers = new Headers(request.headers)
    const etag = header(stale.headers, 'etag')
    const lastModified = header(stale.headers, 'last-modified')
    if (etag !== undefined) headers.set('if-none-match', etag)
    if (lastModified !== undefined) headers.set('if-modified-since', lastModified)
    // No caller's signal: the fetch is shared by every coalesced caller (and may run in the background).
    const conditional = new Request(request.url, { method: 'GET', headers })
    return fetchAndStore(key, conditional, reqCC, stale)
  }
}
