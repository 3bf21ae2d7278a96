/**
 * The route-cache rules, run against every framework adapter: each adapter's
 * test supplies a server factory that mounts `cached()` in front of a generic
 * handler on a real server (port 0).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { pathTag } from '../../src/http.js'
import { type Cache, createCache, type ManualClock, manualClock, memoryStore } from '../../src/index.js'
import { type Reply, request, sleep } from './helpers.js'

export interface AppRequest {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
}
export interface AppResponse {
  status?: number
  headers?: Record<string, string | string[]>
  /** A string is sent at once; an array is streamed chunk by chunk. */
  body: string | string[]
}
export type AppHandler = (req: AppRequest) => AppResponse | Promise<AppResponse>

/** Route options without the cache and clock, which the suite supplies. */
export type SuiteOptions = Record<string, unknown>

export type MakeServer = (
  options: SuiteOptions & { cache: Cache; clock: ManualClock },
  handler: AppHandler,
) => Promise<{ base: string; close: () => Promise<void> }>

export function runRouteSuite(framework: string, makeServer: MakeServer): void {
  describe(`route cache rules on ${framework}`, () => {
    let close: (() => Promise<void>) | undefined
    afterEach(async () => {
      await close?.()
      close = undefined
    })

    /** `tiers: 'default'` is createCache()'s own: memory over a SQLite file (in the test's CACHESTACK_DIR). */
    async function setup(options: SuiteOptions, handler: AppHandler, tiers: 'memory' | 'default' = 'memory') {
      const clock = manualClock()
      const cache = tiers === 'memory' ? createCache({ tiers: [memoryStore()], clock }) : createCache({ clock })
      let runs = 0
      const seen: AppRequest[] = []
      const server = await makeServer({ ...options, cache, clock }, async (req) => {
        runs++
        seen.push(req)
        return handler(req)
      })
      close = server.close
      const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> =>
        request(server.base, path, { method, headers })
      return { clock, cache, get, runs: () => runs, seen }
    }

    const json = (req: AppRequest): AppResponse => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: req.url, n: Math.random() }),
    })

    it('stores a GET response and serves it with Age and Cache-Status', async () => {
      const t = await setup({ ttl: '60s' }, json)
      const a = await t.get('/products')
      expect(a.status).toBe(200)
      expect(a.headers['cache-status']).toMatch(/fwd=miss/)
      t.clock.advance('5s')
      const b = await t.get('/products')
      expect(b.body).toBe(a.body)
      expect(b.headers.age).toBe('5')
      expect(b.headers['cache-status']).toBe('cachestack; hit')
      expect(b.headers['content-type']).toMatch(/application\/json/)
      expect(b.headers['content-length']).toBe(String(Buffer.byteLength(a.body)))
      expect(t.runs()).toBe(1)
      t.clock.advance('56s')
      const c = await t.get('/products')
      expect(c.body).not.toBe(a.body)
      expect(t.runs()).toBe(2)
    })

    it('says hit for a response from a lower tier, or after an idle second, with the default tiers (RFC 9211)', async () => {
      const t = await setup({ ttl: '60s', tags: ['products'] }, json, 'default')
      expect(t.cache.tiers.map((s) => s.name)).toEqual(['memory', 'sqlite'])
      const a = await t.get('/products')
      expect(a.headers['cache-status']).toMatch(/fwd=miss/)
      // Past the one-second window of the memory tier's tag versions: checked against the file tier.
      t.clock.advance('2s')
      const b = await t.get('/products')
      expect(b.body).toBe(a.body)
      expect(b.headers['cache-status']).toBe('cachestack; hit')
      expect(b.headers.age).toBe('2')
      // The memory tier lost it: the file tier answers.
      await t.cache.tiers[0]!.clear()
      t.clock.advance('1s')
      const c = await t.get('/products')
      expect(c.body).toBe(a.body)
      expect(c.headers['cache-status']).toBe('cachestack; hit')
      expect(c.headers.age).toBe('3')
      const d = await t.get('/products', {}, 'HEAD')
      expect(d.headers['cache-status']).toBe('cachestack; hit')
      expect(t.runs()).toBe(1)
      await t.cache.close()
    })

    it('keys on the sorted query and on the host', async () => {
      const t = await setup({ ttl: '60s' }, json)
      const a = await t.get('/q?b=2&a=1')
      expect((await t.get('/q?a=1&b=2')).body).toBe(a.body)
      expect((await t.get('/q?a=1&b=3')).body).not.toBe(a.body)
      expect((await t.get('/q?a=1&b=2', { host: 'other.example' })).body).not.toBe(a.body)
      expect(t.runs()).toBe(3)
    })

    it('answers If-None-Match and If-Modified-Since with 304', async () => {
      const t = await setup({ ttl: '60s' }, () => ({
        headers: { 'last-modified': 'Sat, 29 Oct 1994 19:43:31 GMT', 'content-type': 'text/plain' },
        body: 'hello',
      }))
      const a = await t.get('/page')
      const hit = await t.get('/page')
      const etag = hit.headers.etag as string
      expect(etag).toBeTruthy()
      // where the adapter sees the whole body before the headers go, the first response has it too
      if (a.headers.etag !== undefined) expect(a.headers.etag).toBe(etag)
      const b = await t.get('/page', { 'if-none-match': etag })
      expect(b.status).toBe(304)
      expect(b.body).toBe('')
      expect(b.headers.etag).toBe(etag)
      const c = await t.get('/page', { 'if-modified-since': 'Sat, 29 Oct 1994 19:43:31 GMT' })
      expect(c.status).toBe(304)
      const d = await t.get('/page', { 'if-none-match': '"other"' })
      expect(d.status).toBe(200)
      expect(d.body).toBe('hello')
      expect(t.runs()).toBe(1)
    })

    it('a revalidating client on a miss gets its 304 and the full response is stored', async () => {
      const t = await setup({ ttl: '60s', tags: ['page'] }, () => ({
        headers: { 'content-type': 'text/plain' },
        body: 'hello',
      }))
      await t.get('/page')
      const etag = (await t.get('/page')).headers.etag as string
      await t.cache.invalidateTags(['page'])
      // Every browser that has the page revalidates: the handler still renders it whole, once.
      const a = await t.get('/page', { 'if-none-match': etag })
      expect(a.status).toBe(304)
      expect(a.body).toBe('')
      expect(a.headers.etag).toBe(etag)
      expect(a.headers['content-length']).toBeUndefined()
      expect(t.seen[1]!.headers['if-none-match']).toBeUndefined()
      const b = await t.get('/page')
      expect(b.status).toBe(200)
      expect(b.body).toBe('hello')
      expect(b.headers['cache-status']).toBe('cachestack; hit')
      expect(t.runs()).toBe(2)
      // A client whose copy is out of date gets the full response.
      await t.cache.invalidateTags(['page'])
      const c = await t.get('/page', { 'if-none-match': '"old"' })
      expect(c.status).toBe(200)
      expect(c.body).toBe('hello')
      expect(t.runs()).toBe(3)
    })

    it('a revalidating client of a body over maxBodySize gets it whole', async () => {
      const t = await setup({ ttl: '60s', maxBodySize: 8 }, () => ({
        headers: { 'content-type': 'text/plain' },
        body: ['0123456789', 'abcdefghij', 'klm'],
      }))
      const a = await t.get('/big', { 'if-none-match': '"x"', 'if-modified-since': 'Sat, 29 Oct 1994 19:43:31 GMT' })
      expect(a.status).toBe(200)
      expect(a.body).toBe('0123456789abcdefghijklm')
      const b = await t.get('/big')
      expect(b.body).toBe('0123456789abcdefghijklm')
      expect(t.runs()).toBe(2)
    })

    it('replays every line of a repeated header field', async () => {
      const t = await setup({ ttl: '60s' }, () => ({
        headers: { 'content-type': 'text/plain', link: ['</a.css>; rel=preload', '</b.js>; rel=preload'] },
        body: 'page',
      }))
      await t.get('/links')
      const hit = await t.get('/links')
      expect(hit.headers['cache-status']).toBe('cachestack; hit')
      expect(hit.headers.link).toContain('</a.css>; rel=preload')
      expect(hit.headers.link).toContain('</b.js>; rel=preload')
    })

    it('within grace, a failing handler is answered with the stored response (stale-if-error)', async () => {
      let fail = false
      const t = await setup(
        { ttl: '10s', grace: '1h' },
        (): AppResponse =>
          fail
            ? { status: 500, headers: { 'content-type': 'text/plain', 'x-error': '1' }, body: 'db down' }
            : { headers: { 'content-type': 'text/plain' }, body: 'good' },
      )
      expect((await t.get('/g')).body).toBe('good')
      fail = true
      t.clock.advance('30s')
      const a = await t.get('/g')
      expect(a.status).toBe(200)
      expect(a.body).toBe('good')
      expect(a.headers['x-error']).toBeUndefined()
      expect(a.headers.age).toBe('30')
      expect(a.headers['cache-status']).toBe('cachestack; hit; fwd-status=500; detail=stale-if-error')
      // Nothing was stored by the failure: the next request tries the handler again.
      const b = await t.get('/g')
      expect(b.body).toBe('good')
      expect(t.runs()).toBe(3)
      // Past grace, the failure goes through.
      t.clock.advance('2h')
      const c = await t.get('/g')
      expect(c.status).toBe(500)
      expect(c.body).toBe('db down')
    })

    it('without grace, a failing handler is sent as it is', async () => {
      let fail = false
      const t = await setup({ ttl: '10s', grace: 0 }, () =>
        fail ? { status: 503, body: 'down' } : { headers: { 'content-type': 'text/plain' }, body: 'good' },
      )
      await t.get('/g0')
      fail = true
      t.clock.advance('30s')
      const a = await t.get('/g0')
      expect(a.status).toBe(503)
      expect(a.body).toBe('down')
    })

    it('answers HEAD from the stored GET, without a body', async () => {
      const t = await setup({ ttl: '60s' }, () => ({ headers: { 'content-type': 'text/plain' }, body: 'hello' }))
      await t.get('/h')
      const head = await t.get('/h', {}, 'HEAD')
      expect(head.status).toBe(200)
      expect(head.body).toBe('')
      expect(head.headers['content-length']).toBe('5')
      expect(head.headers['cache-status']).toBe('cachestack; hit')
      expect(t.runs()).toBe(1)
    })

    it('never serves a stored response to, nor stores one for, a request with Authorization or Cookie', async () => {
      const t = await setup({ ttl: '60s' }, (req) => ({
        body: `for ${String(req.headers.authorization ?? req.headers.cookie ?? 'anon')}`,
      }))
      expect((await t.get('/me', { authorization: 'Bearer alice' })).body).toBe('for Bearer alice')
      const bob = await t.get('/me', { authorization: 'Bearer bob' })
      expect(bob.body).toBe('for Bearer bob')
      expect(bob.headers['cache-status']).toMatch(/fwd=bypass/)
      expect((await t.get('/me', { cookie: 'sid=carol' })).body).toBe('for sid=carol')
      expect((await t.get('/me')).body).toBe('for anon')
      expect((await t.get('/me', { cookie: 'sid=dave' })).body).toBe('for sid=dave')
      expect(t.runs()).toBe(5)
    })

    it('shares a public route with credentialed requests only when told, naming what varies', async () => {
      const t = await setup({ ttl: '60s', public: true, vary: [] }, json)
      const a = await t.get('/pub', { cookie: 'sid=1' })
      expect((await t.get('/pub', { cookie: 'sid=2' })).body).toBe(a.body)
      expect(t.runs()).toBe(1)
    })

    it('caches per user on private routes, with Cache-Control: private', async () => {
      const t = await setup({ ttl: '60s', private: true }, (req) => ({
        body: `hello ${String(req.headers.authorization)} ${Math.random()}`,
      }))
      const alice = await t.get('/me', { authorization: 'Bearer alice' })
      const bob = await t.get('/me', { authorization: 'Bearer bob' })
      expect(bob.body).not.toBe(alice.body)
      expect(bob.body).toMatch(/bob/)
      expect((await t.get('/me', { authorization: 'Bearer alice' })).body).toBe(alice.body)
      const again = await t.get('/me', { authorization: 'Bearer bob' })
      expect(again.body).toBe(bob.body)
      expect(again.headers['cache-control']).toMatch(/private/)
      expect(t.runs()).toBe(2)
    })

    it('never stores a response that sets a cookie, or says no-store or private', async () => {
      for (const headers of <Record<string, string>[]>[
        { 'set-cookie': 'sid=abc' },
        { 'cache-control': 'no-store' },
        { 'cache-control': 'private, max-age=60' },
      ]) {
        const t = await setup({ ttl: '60s' }, () => ({ headers, body: `x${Math.random()}` }))
        const a = await t.get('/x')
        const b = await t.get('/x')
        expect(b.body).not.toBe(a.body)
        expect(t.runs()).toBe(2)
        await close?.()
        close = undefined
      }
    })

    it('stores only the configured statuses', async () => {
      const t = await setup({ ttl: '60s' }, (req) => ({
        status: req.url.startsWith('/missing') ? 404 : 500,
        body: 'no',
      }))
      await t.get('/missing')
      expect((await t.get('/missing')).status).toBe(404)
      expect(t.runs()).toBe(1)
      await t.get('/broken')
      expect((await t.get('/broken')).status).toBe(500)
      expect(t.runs()).toBe(3)
    })

    it('takes the lifetime from s-maxage, and from max-age without a ttl', async () => {
      const t = await setup({}, (req) => ({
        headers: { 'cache-control': req.url === '/s' ? 'max-age=0, s-maxage=10' : 'max-age=30' },
        body: `${Math.random()}`,
      }))
      const s = await t.get('/s')
      const m = await t.get('/m')
      t.clock.advance('20s')
      expect((await t.get('/s')).body).not.toBe(s.body)
      expect((await t.get('/m')).body).toBe(m.body)
      t.clock.advance('11s')
      expect((await t.get('/m')).body).not.toBe(m.body)
    })

    it('keys on the vary headers and announces them in Vary', async () => {
      const t = await setup({ ttl: '60s', vary: ['accept-language'] }, (req) => ({
        body: `lang ${String(req.headers['accept-language'])} ${Math.random()}`,
      }))
      const fr = await t.get('/v', { 'accept-language': 'fr' })
      const en = await t.get('/v', { 'accept-language': 'en' })
      expect(fr.body).toMatch(/lang fr/)
      expect(en.body).toMatch(/lang en/)
      expect(fr.headers.vary).toMatch(/accept-language/i)
      expect((await t.get('/v', { 'accept-language': 'fr' })).body).toBe(fr.body)
      const enHit = await t.get('/v', { 'accept-language': 'en' })
      expect(enHit.body).toBe(en.body)
      expect(enHit.headers.vary).toMatch(/accept-language/i)
      expect(t.runs()).toBe(2)
    })

    it("honours the handler's own Vary with secondary keys, and never stores Vary: *", async () => {
      const t = await setup({ ttl: '60s' }, (req) => ({
        headers: { vary: req.url === '/star' ? '*' : 'X-Variant' },
        body: `variant ${String(req.headers['x-variant'])} ${Math.random()}`,
      }))
      const a = await t.get('/var', { 'x-variant': 'a' })
      const b = await t.get('/var', { 'x-variant': 'b' })
      expect(b.body).toMatch(/variant b/)
      expect((await t.get('/var', { 'x-variant': 'a' })).body).toBe(a.body)
      expect((await t.get('/var', { 'x-variant': 'b' })).body).toBe(b.body)
      expect(t.runs()).toBe(2)
      const s = await t.get('/star')
      expect((await t.get('/star')).body).not.toBe(s.body)
      expect(t.runs()).toBe(4)
    })

    it('cannot be poisoned through unkeyed headers (X-Forwarded-Host, X-Original-URL, …)', async () => {
      const t = await setup({ ttl: '60s' }, (req) => {
        const host = req.headers['x-forwarded-host'] ?? req.headers.host
        const path = req.headers['x-original-url'] ?? req.url
        const scheme = req.headers['x-forwarded-proto'] ?? 'http'
        return { body: `<script src="${String(scheme)}://${String(host)}/app.js"></script> ${String(path)}` }
      })
      const poisoned = await t.get('/home', {
        'x-forwarded-host': 'evil.example',
        'x-original-url': '/admin',
        'x-forwarded-proto': 'javascript',
      })
      expect(poisoned.body).not.toMatch(/evil|admin|javascript/)
      const victim = await t.get('/home')
      expect(victim.body).not.toMatch(/evil|admin|javascript/)
      expect(t.seen.every((r) => r.headers['x-forwarded-host'] === undefined)).toBe(true)
    })

    it('keys an unkeyed header instead of hiding it when the route varies on it', async () => {
      const t = await setup({ ttl: '60s', vary: ['x-forwarded-proto'] }, (req) => ({
        body: `scheme ${String(req.headers['x-forwarded-proto'] ?? 'http')}`,
      }))
      expect((await t.get('/s', { 'x-forwarded-proto': 'https' })).body).toBe('scheme https')
      expect((await t.get('/s')).body).toBe('scheme http')
      expect((await t.get('/s', { 'x-forwarded-proto': 'https' })).body).toBe('scheme https')
      expect(t.runs()).toBe(2)
    })

    it('runs the handler once for concurrent misses of one key', async () => {
      const t = await setup({ ttl: '60s' }, async (req) => {
        await sleep(50)
        return json(req)
      })
      const replies = await Promise.all(Array.from({ length: 10 }, () => t.get('/slow')))
      expect(t.runs()).toBe(1)
      expect(new Set(replies.map((r) => r.body)).size).toBe(1)
      expect(replies.filter((r) => /collapsed/.test(String(r.headers['cache-status']))).length).toBe(9)
    })

    it('does not share an uncacheable leader response with waiters', async () => {
      const t = await setup({ ttl: '60s' }, async () => {
        await sleep(30)
        return { headers: { 'set-cookie': 'sid=secret' }, body: `${Math.random()}` }
      })
      const replies = await Promise.all(Array.from({ length: 4 }, () => t.get('/login')))
      expect(new Set(replies.map((r) => r.body)).size).toBe(4)
      expect(t.runs()).toBe(4)
    })

    it('stores a streamed body, and sends but does not store one over maxBodySize', async () => {
      const t = await setup({ ttl: '60s', maxBodySize: 100 }, (req) => ({
        body: req.url === '/big' ? Array.from({ length: 20 }, () => 'x'.repeat(10)) : ['a', 'b', 'c'],
      }))
      expect((await t.get('/stream')).body).toBe('abc')
      const hit = await t.get('/stream')
      expect(hit.body).toBe('abc')
      expect(hit.headers['cache-status']).toBe('cachestack; hit')
      expect((await t.get('/big')).body).toBe('x'.repeat(200))
      expect((await t.get('/big')).body).toBe('x'.repeat(200))
      expect(t.runs()).toBe(3)
    })

    it('invalidates by tag, by path, and after a successful POST to the path', async () => {
      const t = await setup({ ttl: '60s', tags: ['products'] }, json)
      const a = await t.get('/products')
      await t.cache.invalidateTags(['products'])
      const b = await t.get('/products')
      expect(b.body).not.toBe(a.body)
      await t.cache.invalidateTags([pathTag('/products?page=2')])
      const c = await t.get('/products')
      expect(c.body).not.toBe(b.body)
      await t.get('/products', {}, 'POST')
      // the invalidation runs when the POST's response finishes: poll a moment for it
      let d = await t.get('/products')
      for (let i = 0; i < 50 && d.body === c.body; i++) {
        await sleep(5)
        d = await t.get('/products')
      }
      expect(d.body).not.toBe(c.body)
      expect((await t.get('/products')).body).toBe(d.body)
    })

    it('a successful POST also invalidates its Location on the same host (a 404 stored before the item existed)', async () => {
      let created = false
      const t = await setup({ ttl: '60s' }, (req): AppResponse => {
        if (req.method === 'POST') {
          created = true
          return { status: 201, headers: { location: '/items/42', 'content-type': 'text/plain' }, body: 'created' }
        }
        if (req.url === '/items/7') return { headers: { 'content-type': 'text/plain' }, body: 'seven' }
        return created
          ? { headers: { 'content-type': 'text/plain' }, body: 'item 42' }
          : { status: 404, headers: { 'content-type': 'text/plain' }, body: 'no such item' }
      })
      expect((await t.get('/items/42')).status).toBe(404)
      expect((await t.get('/items/42')).headers['cache-status']).toBe('cachestack; hit')
      await t.get('/items/7')
      expect((await t.get('/items', {}, 'POST')).status).toBe(201)
      // the invalidation runs when the POST's response finishes: poll a moment for it
      let after = await t.get('/items/42')
      for (let i = 0; i < 50 && after.status === 404; i++) {
        await sleep(5)
        after = await t.get('/items/42')
      }
      expect(after.status).toBe(200)
      expect(after.body).toBe('item 42')
      // Other items are left alone.
      expect((await t.get('/items/7')).headers['cache-status']).toBe('cachestack; hit')
    })

    it('a route with invalidateOnUnsafe: false keeps its stored GET after a successful POST', async () => {
      const clock = manualClock()
      const cache = createCache({ tiers: [memoryStore()], clock })
      // Two servers on one cache: /keep opts out, /drop keeps the default and shows when invalidation has run.
      const keep = await makeServer({ ttl: '60s', invalidateOnUnsafe: false, cache, clock }, json)
      const drop = await makeServer({ ttl: '60s', cache, clock }, json)
      close = async () => {
        await keep.close()
        await drop.close()
      }
      const a = await request(keep.base, '/keep')
      const b = await request(drop.base, '/drop')
      expect((await request(keep.base, '/keep', { method: 'POST' })).status).toBe(200)
      expect((await request(drop.base, '/drop', { method: 'POST' })).status).toBe(200)
      // the invalidation runs when the POST's response finishes: poll a moment for /drop's
      let after = await request(drop.base, '/drop')
      for (let i = 0; i < 50 && after.body === b.body; i++) {
        await sleep(5)
        after = await request(drop.base, '/drop')
      }
      expect(after.body).not.toBe(b.body)
      // /keep's POST finished before /drop's began: had it invalidated, that would have run by now.
      const kept = await request(keep.base, '/keep')
      expect(kept.body).toBe(a.body)
      expect(kept.headers['cache-status']).toBe('cachestack; hit')
    })

    it('sends surrogate keys for CDNs when asked', async () => {
      const t = await setup({ ttl: '60s', tags: ['products', 'catalog'], surrogateKeys: true }, json)
      const a = await t.get('/p')
      const b = await t.get('/p')
      for (const r of [a, b]) {
        expect(r.headers['surrogate-key']).toBe('products catalog')
        expect(r.headers['cache-tag']).toBe('products,catalog')
      }
    })

    it('serves a route whose tag holds a line break, a comma, a space or non-ASCII text, with the keys encoded', async () => {
      // A tag built from a decoded query value: every adapter's request has its URL somewhere.
      const fromQuery = (req: unknown): string[] => {
        const r = req as { url?: unknown; req?: { url: string } }
        const url = typeof r.url === 'string' ? r.url : r.req!.url
        return [`search:${new URL(url, 'http://x').searchParams.get('q')}`, 'search', '50%']
      }
      const t = await setup({ ttl: '60s', tags: fromQuery, surrogateKeys: true }, json)
      const a = await t.get('/search?q=red%0D%0Ashoes%2C%20bl%C3%BCe')
      expect(a.status).toBe(200)
      const b = await t.get('/search?q=red%0D%0Ashoes%2C%20bl%C3%BCe')
      expect(b.body).toBe(a.body)
      expect(b.headers['cache-status']).toBe('cachestack; hit')
      for (const r of [a, b]) {
        expect(r.headers['surrogate-key']).toBe('search:red%0D%0Ashoes%2C%20bl%C3%BCe search 50%25')
        expect(r.headers['cache-tag']).toBe('search:red%0D%0Ashoes%2C%20bl%C3%BCe,search,50%25')
      }
      // Invalidation takes the tag as declared, not its encoded key.
      await t.cache.invalidateTags(['search:red\r\nshoes, blüe'])
      const c = await t.get('/search?q=red%0D%0Ashoes%2C%20bl%C3%BCe')
      expect(c.status).toBe(200)
      expect(c.body).not.toBe(a.body)
    })

    it('never treats /account/x.css as a static asset (cache deception)', async () => {
      const t = await setup({ ttl: '60s' }, (req) => ({
        body: `account of ${String(req.headers.cookie ?? 'nobody')} at ${req.url}`,
      }))
      const victim = await t.get('/account/x.css', { cookie: 'sid=victim' })
      expect(victim.body).toMatch(/victim/)
      const attacker = await t.get('/account/x.css')
      expect(attacker.body).not.toMatch(/victim/)
      expect(victim.headers['cache-control'] ?? '').not.toMatch(/public|immutable/)
    })
  })
}
