/**
 * RFC 9111 conformance, one rule per test: an origin answers with the
 * headers in question; the assertions are on what the proxy does on the
 * first and the second request.
 */
import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { type Rig, rig, status } from './helpers.js'

let r: Rig | undefined
afterEach(async () => {
  await r?.close()
  r = undefined
})

function body(
  res: import('node:http').ServerResponse,
  headers: Record<string, string | string[]>,
  text: string,
  code = 200,
) {
  res.writeHead(code, headers)
  res.end(text)
}

describe('storage and freshness', () => {
  it('stores a max-age response and serves it fresh with Age and Cache-Status hit', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60' }, `v${n}`))
    const a = await r.get('/a')
    expect(a.body).toBe('v1')
    expect(status(a)).toMatch(/fwd=uri-miss; ttl=(59|60); stored/)
    r.clock.advance('10s')
    const b = await r.get('/a')
    expect(b.body).toBe('v1')
    expect(status(b)).toMatch(/^cachestack; hit; ttl=\d+/)
    expect(Number(b.headers.age)).toBeGreaterThanOrEqual(10)
    expect(r.hits()).toBe(1)
  })

  it('refetches once max-age has passed', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=5' }, `v${n}`))
    await r.get('/a')
    r.clock.advance('6s')
    const b = await r.get('/a')
    expect(b.body).toBe('v2')
    expect(r.hits()).toBe(2)
  })

  it('s-maxage takes precedence over max-age in a shared cache', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=1, s-maxage=60' }, `v${n}`))
    await r.get('/a')
    r.clock.advance('30s')
    expect((await r.get('/a')).body).toBe('v1')
  })

  it('Expires gives freshness relative to Date', async () => {
    r = await rig((_q, res, n) => {
      const now = Date.now()
      body(res, { date: new Date(now).toUTCString(), expires: new Date(now + 60_000).toUTCString() }, `v${n}`)
    })
    await r.get('/a')
    r.clock.advance('20s')
    expect((await r.get('/a')).body).toBe('v1')
    r.clock.advance('50s')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('an invalid Expires means already expired', async () => {
    r = await rig((_q, res, n) => body(res, { expires: '0' }, `v${n}`))
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('heuristic freshness from Last-Modified for a 200 without explicit freshness', async () => {
    r = await rig((_q, res, n) =>
      body(res, { 'last-modified': new Date(Date.now() - 1000 * 1000).toUTCString() }, `v${n}`),
    )
    await r.get('/a')
    r.clock.advance('50s') // 10% of 1000 s = 100 s
    expect((await r.get('/a')).body).toBe('v1')
  })

  it('a 200 without freshness or validators is not kept', async () => {
    r = await rig((_q, res, n) => body(res, {}, `v${n}`))
    const a = await r.get('/a')
    expect(status(a)).toMatch(/detail=no-freshness/)
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('no heuristic freshness for a 302 without explicit freshness', async () => {
    r = await rig((_q, res, n) =>
      body(res, { location: '/b', 'last-modified': new Date(Date.now() - 1e6).toUTCString() }, `v${n}`, 302),
    )
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('Age from the origin counts toward the age', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60', age: '55' }, `v${n}`))
    await r.get('/a')
    r.clock.advance('10s')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('no-store is never stored', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'no-store, max-age=60' }, `v${n}`))
    const a = await r.get('/a')
    expect(status(a)).toMatch(/detail=no-store/)
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('private is not stored by a shared cache', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'private, max-age=60' }, `v${n}`))
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('must-understand with a known status stores despite no-store', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'must-understand, no-store, max-age=60' }, `v${n}`))
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v1')
  })

  it('any final status with explicit freshness is stored (RFC 9111 §3), and not reused once stale', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=10' }, `v${n}`, 503))
    await r.get('/a')
    const b = await r.get('/a')
    expect(b.status).toBe(503)
    expect(b.body).toBe('v1')
    r.clock.advance('20s')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('a 299 without explicit freshness is not stored', async () => {
    r = await rig((_q, res, n) => body(res, {}, `v${n}`, 299))
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('must-understand with an unknown status is not stored', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'must-understand, no-store, max-age=60' }, `v${n}`, 299))
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('a response to a request with Authorization is not stored unless public/s-maxage/must-revalidate', async () => {
    r = await rig((q, res, n) =>
      body(res, { 'cache-control': q.url === '/pub' ? 'public, max-age=60' : 'max-age=60' }, `v${n}`),
    )
    await r.get('/a', { authorization: 'Bearer x' })
    expect((await r.get('/a', { authorization: 'Bearer x' })).body).toBe('v2')
    await r.get('/pub', { authorization: 'Bearer x' })
    expect((await r.get('/pub', { authorization: 'Bearer x' })).body).toBe('v3')
  })

  it('Set-Cookie responses are not stored by default', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60', 'set-cookie': 'sid=1' }, `v${n}`))
    await r.get('/a')
    const b = await r.get('/a')
    expect(b.body).toBe('v2')
    expect(b.headers['set-cookie']).toEqual(['sid=1'])
  })

  it('storeSetCookie stores the response without its Set-Cookie', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60', 'set-cookie': 'sid=1' }, `v${n}`), {
      storeSetCookie: true,
    })
    const a = await r.get('/a')
    expect(a.headers['set-cookie']).toEqual(['sid=1'])
    const b = await r.get('/a')
    expect(b.body).toBe('v1')
    expect(b.headers['set-cookie']).toBeUndefined()
  })

  it('Host is part of the key', async () => {
    r = await rig((q, res) => body(res, { 'cache-control': 'max-age=60' }, String(q.headers.host)))
    expect((await r.get('/a', { host: 'one.test' })).body).toBe('one.test')
    expect((await r.get('/a', { host: 'two.test' })).body).toBe('two.test')
    expect((await r.get('/a', { host: 'one.test' })).body).toBe('one.test')
    expect(r.hits()).toBe(2)
  })

  it('the query string is part of the key', async () => {
    r = await rig((q, res) => body(res, { 'cache-control': 'max-age=60' }, String(q.url)))
    expect((await r.get('/a?x=1')).body).toBe('/a?x=1')
    expect((await r.get('/a?x=2')).body).toBe('/a?x=2')
  })

  it('hop-by-hop fields are removed both ways', async () => {
    r = await rig((_q, res) => {
      res.setHeader('connection', 'x-hop')
      res.setHeader('x-hop', 'secret')
      res.setHeader('keep-alive', 'timeout=5')
      res.setHeader('cache-control', 'max-age=60')
      res.end('ok')
    })
    const a = await r.get('/a', { connection: 'x-req-hop', 'x-req-hop': '1', te: 'trailers' })
    expect(a.headers['x-hop']).toBeUndefined()
    expect(r.seen[0]!['x-req-hop']).toBeUndefined()
    expect(r.seen[0]!.te).toBeUndefined()
    const b = await r.get('/a')
    expect(b.headers['x-hop']).toBeUndefined()
  })

  it('adds Via to forwarded requests and takes the authority of an absolute-form target', async () => {
    r = await rig((q, res) => body(res, { 'cache-control': 'max-age=60' }, `${q.headers.host} ${q.url}`))
    const u = new URL(r.proxy)
    const a = await new Promise<string>((resolve, reject) => {
      http
        .get(
          { host: u.hostname, port: u.port, path: 'http://abs.test/p?q=1', headers: { host: 'other.test' } },
          (res) => {
            let t = ''
            res.on('data', (c: Buffer) => {
              t += c.toString()
            })
            res.on('end', () => resolve(t))
          },
        )
        .on('error', reject)
    })
    expect(a).toBe('abs.test /p?q=1')
    expect(r.seen[0]!.via).toBe('1.1 cachestack')
    const b = await r.get('/p?q=1', { host: 'abs.test' })
    expect(b.body).toBe('abs.test /p?q=1')
    expect(r.hits()).toBe(1)
  })

  it('HEAD is answered from a stored GET response', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60' }, `v${n}`))
    await r.get('/a')
    const h = await r.get('/a', {}, 'HEAD')
    expect(h.status).toBe(200)
    expect(h.body).toBe('')
    expect(h.headers['content-length']).toBe('2')
    expect(status(h)).toMatch(/hit/)
    expect(r.hits()).toBe(1)
  })

  it('a HEAD miss fetches GET and stores it for later GETs', async () => {
    r = await rig((q, res, n) => body(res, { 'cache-control': 'max-age=60' }, `${q.method}${n}`))
    const h = await r.get('/a', {}, 'HEAD')
    expect(h.body).toBe('')
    const g = await r.get('/a')
    expect(g.body).toBe('GET1')
    expect(r.hits()).toBe(1)
  })

  it('Cache-Status appears on every response, pass-through included', async () => {
    r = await rig((_q, res) => body(res, {}, 'x'))
    for (const m of ['GET', 'POST', 'DELETE']) {
      expect(status(await r.get('/a', {}, m))).toMatch(/^cachestack/)
    }
  })

  it('an origin Cache-Status is kept and ours follows it', async () => {
    r = await rig((_q, res) => body(res, { 'cache-status': 'origin-cache; hit' }, 'x'))
    const a = await r.get('/a')
    expect(String(a.headers['cache-status'])).toMatch(/^origin-cache; hit, cachestack/)
  })
})

describe('Vary', () => {
  it('stores several variants per URL', async () => {
    r = await rig((q, res) =>
      body(res, { 'cache-control': 'max-age=60', vary: 'Accept-Language' }, String(q.headers['accept-language'])),
    )
    expect((await r.get('/a', { 'accept-language': 'fr' })).body).toBe('fr')
    expect((await r.get('/a', { 'accept-language': 'de' })).body).toBe('de')
    expect((await r.get('/a', { 'accept-language': 'fr' })).body).toBe('fr')
    expect((await r.get('/a', { 'accept-language': 'de' })).body).toBe('de')
    expect(r.hits()).toBe(2)
  })

  it('Vary: * is never served from the cache', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60', vary: '*' }, `v${n}`))
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v2')
  })
})

describe('validation', () => {
  it('revalidates a stale response with If-None-Match; a 304 updates the stored headers', async () => {
    r = await rig((q, res, n) => {
      if (q.headers['if-none-match'] === '"e1"') {
        res.writeHead(304, { 'cache-control': 'max-age=30', 'x-version': `h${n}`, etag: '"e1"' })
        res.end()
        return
      }
      body(res, { 'cache-control': 'max-age=1', etag: '"e1"', 'x-version': `h${n}` }, 'body')
    })
    await r.get('/a')
    r.clock.advance('2s')
    const b = await r.get('/a')
    expect(b.status).toBe(200)
    expect(b.body).toBe('body')
    expect(b.headers['x-version']).toBe('h2')
    expect(status(b)).toMatch(/fwd=stale; fwd-status=304/)
    expect(r.seen[1]!['if-none-match']).toBe('"e1"')
    r.clock.advance('10s') // fresh again thanks to the 304's max-age=30
    const c = await r.get('/a')
    expect(c.headers['x-version']).toBe('h2')
    expect(r.hits()).toBe(2)
  })

  it('a Set-Cookie on a 304 reaches that client only, never the stored copy', async () => {
    r = await rig((q, res) => {
      if (q.headers['if-none-match'] === '"c"') {
        res.writeHead(304, { etag: '"c"', 'cache-control': 'max-age=60', 'set-cookie': 'sid=2' })
        res.end()
        return
      }
      body(res, { 'cache-control': 'max-age=1', etag: '"c"' }, 'body')
    })
    await r.get('/a')
    r.clock.advance('5s')
    const b = await r.get('/a')
    expect(b.headers['set-cookie']).toEqual(['sid=2'])
    const c = await r.get('/a')
    expect(status(c)).toMatch(/hit/)
    expect(c.headers['set-cookie']).toBeUndefined()
  })

  it('a qualified no-cache="field" drops that field from the stored copy', async () => {
    r = await rig((_q, res, n) =>
      body(res, { 'cache-control': 'max-age=60, no-cache="x-secret"', 'x-secret': `s${n}`, 'x-ok': '1' }, 'b'),
    )
    const a = await r.get('/a')
    expect(a.headers['x-secret']).toBe('s1')
    const b = await r.get('/a')
    expect(status(b)).toMatch(/hit/)
    expect(b.headers['x-secret']).toBeUndefined()
    expect(b.headers['x-ok']).toBe('1')
  })

  it('revalidates with If-Modified-Since when there is only Last-Modified', async () => {
    const lm = new Date(Date.now() - 60_000).toUTCString()
    r = await rig((q, res) => {
      if (q.headers['if-modified-since'] === lm) {
        res.writeHead(304, { 'cache-control': 'max-age=60' })
        res.end()
        return
      }
      body(res, { 'cache-control': 'no-cache', 'last-modified': lm }, 'body')
    })
    await r.get('/a')
    const b = await r.get('/a')
    expect(b.body).toBe('body')
    expect(r.seen[1]!['if-modified-since']).toBe(lm)
  })

  it('no-cache responses are stored but revalidated on every use', async () => {
    r = await rig((q, res, n) => {
      if (q.headers['if-none-match'] === '"x"') {
        res.writeHead(304, { etag: '"x"' })
        res.end()
        return
      }
      body(res, { 'cache-control': 'no-cache', etag: '"x"' }, `v${n}`)
    })
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v1')
    expect((await r.get('/a')).body).toBe('v1')
    expect(r.hits()).toBe(3)
  })

  it('answers the client 304 from a stored response when its If-None-Match matches', async () => {
    r = await rig((_q, res) => body(res, { 'cache-control': 'max-age=60', etag: '"v"' }, 'body'))
    await r.get('/a')
    const b = await r.get('/a', { 'if-none-match': '"v"' })
    expect(b.status).toBe(304)
    expect(b.headers.etag).toBe('"v"')
    expect(r.hits()).toBe(1)
  })

  it('a conditional client miss fetches the full response (stored) and answers 304', async () => {
    r = await rig((_q, res) => body(res, { 'cache-control': 'max-age=60', etag: '"v"' }, 'body'))
    const a = await r.get('/a', { 'if-none-match': '"v"' })
    expect(a.status).toBe(304)
    expect(r.seen[0]!['if-none-match']).toBeUndefined()
    expect((await r.get('/a')).body).toBe('body')
    expect(r.hits()).toBe(1)
  })

  it('must-revalidate: a stale response is not served when the origin is down', async () => {
    r = await rig((_q, res) => body(res, { 'cache-control': 'max-age=1, must-revalidate, stale-if-error=60' }, 'x'))
    await r.get('/a')
    await r.stopOrigin()
    r.clock.advance('5s')
    const b = await r.get('/a')
    expect(b.status).toBe(504)
  })

  it('proxy-revalidate forbids serving stale from a shared cache', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=1, proxy-revalidate' }, `v${n}`))
    await r.get('/a')
    r.clock.advance('5s')
    expect((await r.get('/a', { 'cache-control': 'max-stale=100' })).body).toBe('v2')
  })
})

describe('request directives', () => {
  it('max-age=0 forces revalidation', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60' }, `v${n}`))
    await r.get('/a')
    r.clock.advance('2s')
    const b = await r.get('/a', { 'cache-control': 'max-age=0' })
    expect(b.body).toBe('v2')
    expect(status(b)).toMatch(/fwd=request/)
  })

  it('no-cache forces revalidation; Pragma: no-cache too when there is no Cache-Control', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60' }, `v${n}`))
    await r.get('/a')
    expect((await r.get('/a', { 'cache-control': 'no-cache' })).body).toBe('v2')
    expect((await r.get('/a', { pragma: 'no-cache' })).body).toBe('v3')
    expect((await r.get('/a')).body).toBe('v3')
  })

  it('max-stale accepts a stale response', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=1' }, `v${n}`))
    await r.get('/a')
    r.clock.advance('5s')
    expect((await r.get('/a', { 'cache-control': 'max-stale=10' })).body).toBe('v1')
    expect((await r.get('/a', { 'cache-control': 'max-stale=1' })).body).toBe('v2')
  })

  it('min-fresh refuses a response about to go stale', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=10' }, `v${n}`))
    await r.get('/a')
    r.clock.advance('5s')
    expect((await r.get('/a', { 'cache-control': 'min-fresh=3' })).body).toBe('v1')
    expect((await r.get('/a', { 'cache-control': 'min-fresh=8' })).body).toBe('v2')
  })

  it('only-if-cached answers 504 on a miss and the stored response on a hit', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60' }, `v${n}`))
    expect((await r.get('/a', { 'cache-control': 'only-if-cached' })).status).toBe(504)
    expect(r.hits()).toBe(0)
    await r.get('/a')
    expect((await r.get('/a', { 'cache-control': 'only-if-cached' })).body).toBe('v1')
  })

  it('request no-store: the response is not stored, and a stored one is not used', async () => {
    r = await rig((_q, res, n) => body(res, { 'cache-control': 'max-age=60' }, `v${n}`))
    await r.get('/a', { 'cache-control': 'no-store' })
    expect((await r.get('/a')).body).toBe('v2')
    const c = await r.get('/a', { 'cache-control': 'no-store' })
    expect(c.body).toBe('v3')
    expect(status(c)).toMatch(/fwd=request/)
    expect((await r.get('/a')).body).toBe('v2')
  })
})

describe('CDN-Cache-Control (RFC 9213)', () => {
  it('takes precedence over Cache-Control', async () => {
    r = await rig((_q, res, n) =>
      body(res, { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=60' }, `v${n}`),
    )
    await r.get('/a')
    const b = await r.get('/a')
    expect(b.body).toBe('v1')
    expect(b.headers['cache-control']).toBe('no-store')
  })

  it('a targeted no-store wins over a cacheable Cache-Control', async () => {
    r = await rig((_q, res, n) =>
      body(res, { 'cache-control': 'max-age=60', 'cdn-cache-control': 'no-store' }, `v${n}`),
    )
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v2')
  })

  it('Surrogate-Control only where configured', async () => {
    const handler = (_q: unknown, res: import('node:http').ServerResponse, n: number) =>
      body(res, { 'cache-control': 'no-store', 'surrogate-control': 'max-age=60' }, `v${n}`)
    r = await rig(handler)
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v2')
    await r.close()
    r = await rig(handler, { targets: ['cdn-cache-control', 'surrogate-control'] })
    const first = await r.get('/a')
    const second = await r.get('/a')
    expect(second.body).toBe('v1')
    // Obeyed, and not passed on: it is addressed to this cache.
    expect(first.headers['surrogate-control']).toBeUndefined()
    expect(second.headers['surrogate-control']).toBeUndefined()
  })
})
