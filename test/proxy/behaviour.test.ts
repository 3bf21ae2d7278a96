/**
 * The proxy beyond single-request rules: coalescing, streaming and the size
 * limit, RFC 5861 stale serving, grace, unsafe-method invalidation, ranges,
 * smuggling and the admin endpoint.
 */
import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCache, manualClock } from '../../src/index.js'
import { type Rig, request, rig, status } from './helpers.js'

let r: Rig | undefined
afterEach(async () => {
  await r?.close()
  r = undefined
})

describe('Cache-Status on the default tiers (memory over a SQLite file)', () => {
  it('a response from the file tier, or after an idle second, says hit (RFC 9211)', async () => {
    const clock = manualClock(Date.now())
    const cache = createCache({ clock })
    expect(cache.tiers.map((t) => t.name)).toEqual(['memory', 'sqlite'])
    r = await rig(
      (_q, res, n) => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        res.end(`v${n}`)
      },
      { cache, clock },
    )
    expect(status(await r.get('/p'))).toMatch(/fwd=uri-miss/)
    clock.advance('2s')
    const b = await r.get('/p')
    expect(b.body).toBe('v1')
    expect(status(b)).toMatch(/^cachestack; hit; ttl=5[78]$/)
    await cache.tiers[0]!.clear()
    const c = await r.get('/p')
    expect(c.body).toBe('v1')
    expect(status(c)).toMatch(/^cachestack; hit; ttl=5[78]$/)
    expect(r.hits()).toBe(1)
  })
})

describe('request coalescing', () => {
  it('100 concurrent clients of one uncached URL cause 1 origin fetch', async () => {
    r = await rig((_q, res, n) => {
      setTimeout(() => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        res.end(`v${n}`)
      }, 50)
    })
    const replies = await Promise.all(Array.from({ length: 100 }, () => r!.get('/hot')))
    expect(replies.every((x) => x.status === 200 && x.body === 'v1')).toBe(true)
    expect(r.hits()).toBe(1)
    // Every other client waited for that fetch (collapsed) or came after it was stored (hit).
    expect(replies.filter((x) => /collapsed|hit/.test(status(x))).length).toBe(99)
    expect(replies.some((x) => /collapsed/.test(status(x)))).toBe(true)
  })

  it('concurrent requests for a stale response make one conditional request', async () => {
    r = await rig((q, res) => {
      if (q.headers['if-none-match'] === '"e"') {
        setTimeout(() => {
          res.writeHead(304, { 'cache-control': 'max-age=60', etag: '"e"' })
          res.end()
        }, 50)
        return
      }
      res.writeHead(200, { 'cache-control': 'max-age=1', etag: '"e"' })
      res.end('body')
    })
    await r.get('/s')
    r.clock.advance('5s')
    const replies = await Promise.all(Array.from({ length: 50 }, () => r!.get('/s')))
    expect(replies.every((x) => x.status === 200 && x.body === 'body')).toBe(true)
    expect(r.hits()).toBe(2)
  })

  it('an uncacheable answer releases the waiters, who then fetch in parallel', async () => {
    let inFlight = 0
    let most = 0
    r = await rig((_q, res, n) => {
      inFlight++
      most = Math.max(most, inFlight)
      setTimeout(() => {
        inFlight--
        res.writeHead(200, { 'cache-control': 'no-store' })
        res.end(`v${n}`)
      }, 30)
    })
    const replies = await Promise.all(Array.from({ length: 100 }, () => r!.get('/private')))
    expect(replies.every((x) => x.status === 200)).toBe(true)
    expect(new Set(replies.map((x) => x.body)).size).toBe(100)
    expect(r.hits()).toBe(100)
    expect(most).toBeGreaterThan(1) // not serialized one after another
  })
})

describe('streaming and the object size limit', () => {
  it('streams the body to the client before the origin has finished', async () => {
    let finish!: () => void
    const finished = new Promise<void>((res) => {
      finish = res
    })
    r = await rig((_q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60' })
      res.write('first;')
      finished.then(() => res.end('last'))
    })
    const url = new URL('/s', r.proxy)
    const text = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: url.hostname, port: url.port, path: '/s', agent: false }, (res) => {
          let got = ''
          res.on('data', (c: Buffer) => {
            got += c.toString()
            if (got === 'first;') finish() // the origin ends only once the client has seen the first chunk
          })
          res.on('end', () => resolve(got))
        })
        .on('error', reject)
    })
    expect(text).toBe('first;last')
    expect((await r.get('/s')).body).toBe('first;last')
    expect(r.hits()).toBe(1)
  })

  it('passes a body larger than maxObjectSize through uncached (no Content-Length)', async () => {
    const chunk = 'x'.repeat(1024)
    r = await rig(
      (_q, res) => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        for (let i = 0; i < 100; i++) res.write(chunk)
        res.end()
      },
      { maxObjectSize: '10kb' },
    )
    const a = await r.get('/big')
    expect(a.body.length).toBe(100 * 1024)
    const b = await r.get('/big')
    expect(b.body.length).toBe(100 * 1024)
    expect(r.hits()).toBe(2)
  })

  it('a declared Content-Length over the limit is reported as too-large', async () => {
    r = await rig(
      (_q, res) => {
        res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': 20_000 })
        res.end('y'.repeat(20_000))
      },
      { maxObjectSize: '10kb' },
    )
    const a = await r.get('/big')
    expect(status(a)).toMatch(/detail=too-large/)
    expect(a.body.length).toBe(20_000)
  })
})

describe('serving stale (RFC 5861)', () => {
  it('stale-while-revalidate answers at once and revalidates in the background, once', async () => {
    let release!: () => void
    const gate = new Promise<void>((res) => {
      release = res
    })
    r = await rig((_q, res, n) => {
      const send = () => {
        res.writeHead(200, { 'cache-control': 'max-age=1, stale-while-revalidate=60' })
        res.end(`v${n}`)
      }
      if (n === 1) send()
      else gate.then(send)
    })
    await r.get('/a')
    r.clock.advance('5s')
    const stale = await Promise.all(Array.from({ length: 5 }, () => r!.get('/a')))
    expect(stale.every((x) => x.body === 'v1' && /hit; detail=stale/.test(status(x)))).toBe(true)
    release()
    await vi.waitFor(async () => expect((await r!.get('/a')).body).toBe('v2'))
    expect(r.hits()).toBe(2)
  })

  it('stale-if-error serves the stored response with the origin stopped', async () => {
    r = await rig((_q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=1, stale-if-error=60' })
      res.end('kept')
    })
    await r.get('/a')
    await r.stopOrigin()
    r.clock.advance('10s')
    const b = await r.get('/a')
    expect(b.status).toBe(200)
    expect(b.body).toBe('kept')
    expect(status(b)).toMatch(/detail=stale-if-error/)
    r.clock.advance('2m')
    expect((await r.get('/a')).status).toBe(504) // RFC 9111 §5.2.2.2: stale and unvalidated
  })

  it('stale-if-error serves the stored response when the origin answers 5xx', async () => {
    r = await rig((_q, res, n) => {
      if (n > 1) {
        res.writeHead(503)
        res.end('down')
        return
      }
      res.writeHead(200, { 'cache-control': 'max-age=1, stale-if-error=60' })
      res.end('kept')
    })
    await r.get('/a')
    r.clock.advance('10s')
    const b = await r.get('/a')
    expect(b.body).toBe('kept')
    expect(status(b)).toMatch(/fwd-status=503/)
  })

  it('without stale-if-error the 5xx is passed on', async () => {
    r = await rig((_q, res, n) => {
      res.writeHead(n > 1 ? 500 : 200, { 'cache-control': 'max-age=1' })
      res.end(`v${n}`)
    })
    await r.get('/a')
    r.clock.advance('10s')
    expect((await r.get('/a')).status).toBe(500)
  })

  it('the staleIfError option applies when the response sets none', async () => {
    r = await rig(
      (_q, res) => {
        res.writeHead(200, { 'cache-control': 'max-age=1' })
        res.end('kept')
      },
      { staleIfError: '1m' },
    )
    await r.get('/a')
    await r.stopOrigin()
    r.clock.advance('10s')
    expect((await r.get('/a')).body).toBe('kept')
  })

  it('grace serves stale and refreshes in the background', async () => {
    r = await rig(
      (_q, res, n) => {
        res.writeHead(200, { 'cache-control': 'max-age=1' })
        res.end(`v${n}`)
      },
      { grace: '30s' },
    )
    await r.get('/a')
    r.clock.advance('5s')
    expect((await r.get('/a')).body).toBe('v1')
    await vi.waitFor(async () => expect((await r!.get('/a')).body).toBe('v2'))
  })

  it('grace never overrides must-revalidate', async () => {
    r = await rig(
      (_q, res, n) => {
        res.writeHead(200, { 'cache-control': 'max-age=1, must-revalidate' })
        res.end(`v${n}`)
      },
      { grace: '30s' },
    )
    await r.get('/a')
    r.clock.advance('5s')
    expect((await r.get('/a')).body).toBe('v2')
  })
})

describe('invalidation on unsafe methods (RFC 9111 §4.4)', () => {
  const cached = (extra: (q: http.IncomingMessage, res: http.ServerResponse) => boolean) =>
    rig((q, res, n) => {
      if (extra(q, res)) return
      res.writeHead(200, { 'cache-control': 'max-age=600' })
      res.end(`v${n}`)
    })

  it('a successful POST invalidates the target URL', async () => {
    r = await cached(() => false)
    await r.get('/a')
    expect((await r.get('/a')).body).toBe('v1')
    const p = await r.get('/a', {}, 'POST')
    expect(status(p)).toMatch(/fwd=method/)
    expect((await r.get('/a')).body).toBe('v3')
  })

  it('PUT and DELETE too; an error response does not', async () => {
    r = await cached((q, res) => {
      if (q.method === 'DELETE') {
        res.writeHead(500)
        res.end()
        return true
      }
      return false
    })
    await r.get('/a')
    await r.get('/a', {}, 'DELETE')
    expect((await r.get('/a')).body).toBe('v1')
    await r.get('/a', {}, 'PUT')
    expect((await r.get('/a')).body).toBe('v4')
  })

  it('Location and Content-Location of the same origin are invalidated, other hosts are not', async () => {
    r = await cached((q, res) => {
      if (q.method !== 'POST') return false
      res.writeHead(201, { location: '/items/1', 'content-location': 'http://elsewhere.test/items/2' })
      res.end()
      return true
    })
    await r.get('/items/1')
    await r.get('/items/2', { host: 'elsewhere.test' })
    await r.get('/items', {}, 'POST')
    expect((await r.get('/items/1')).body).toBe('v4')
    expect((await r.get('/items/2', { host: 'elsewhere.test' })).body).toBe('v2')
  })

  it('forwards the request body of an unsafe method', async () => {
    r = await rig((q, res) => {
      let b = ''
      q.on('data', (c: Buffer) => {
        b += c.toString()
      })
      q.on('end', () => res.end(`got:${b}`))
    })
    const url = new URL(r.proxy)
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: '/p', method: 'POST', agent: false },
        (res) => {
          let t = ''
          res.on('data', (c: Buffer) => {
            t += c.toString()
          })
          res.on('end', () => resolve(t))
        },
      )
      req.on('error', reject)
      req.end('payload')
    })
    expect(body).toBe('got:payload')
  })
})

describe('request bodies', () => {
  it('a GET carrying a body is fetched without it (the origin does not wait for it)', async () => {
    r = await rig((q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60', 'x-len': String(q.headers['content-length']) })
      res.end('ok')
    })
    const u = new URL(r.proxy)
    const reply = await new Promise<{ body: string; len: unknown }>((resolve, reject) => {
      const req = http.request(
        { host: u.hostname, port: u.port, path: '/g', method: 'GET', agent: false, headers: { 'content-length': '3' } },
        (res) => {
          let t = ''
          res.on('data', (c: Buffer) => {
            t += c.toString()
          })
          res.on('end', () => resolve({ body: t, len: res.headers['x-len'] }))
        },
      )
      req.on('error', reject)
      req.end('abc')
    })
    expect(reply.body).toBe('ok')
    expect(reply.len).toBe('undefined')
  })
})

describe('ranges', () => {
  it('serves a byte range from a stored response as 206', async () => {
    r = await rig((_q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60', etag: '"r"' })
      res.end('0123456789')
    })
    await r.get('/f')
    const a = await r.get('/f', { range: 'bytes=2-4' })
    expect(a.status).toBe(206)
    expect(a.body).toBe('234')
    expect(a.headers['content-range']).toBe('bytes 2-4/10')
    const b = await r.get('/f', { range: 'bytes=-3' })
    expect(b.body).toBe('789')
    expect((await r.get('/f', { range: 'bytes=20-' })).status).toBe(416)
    expect((await r.get('/f', { range: 'bytes=1-2', 'if-range': '"other"' })).status).toBe(200)
    expect(r.hits()).toBe(1)
  })

  it('passes a range request through on a miss and stores nothing', async () => {
    r = await rig((q, res) => {
      if (q.headers.range === 'bytes=0-1') {
        res.writeHead(206, { 'content-range': 'bytes 0-1/10', 'cache-control': 'max-age=60' })
        res.end('01')
        return
      }
      res.writeHead(200, { 'cache-control': 'max-age=60' })
      res.end('0123456789')
    })
    const a = await r.get('/f', { range: 'bytes=0-1' })
    expect(a.status).toBe(206)
    expect(status(a)).toMatch(/fwd=miss; fwd-status=206; detail=range/)
    expect(a.body).toBe('01')
    expect((await r.get('/f')).body).toBe('0123456789')
    expect(r.hits()).toBe(2)
  })
})

describe('request smuggling', () => {
  it('rejects a request with both Content-Length and Transfer-Encoding', async () => {
    r = await rig((_q, res) => res.end('ok'))
    const url = new URL(r.proxy)
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(Number(url.port), url.hostname, () => {
        s.write(
          'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
        )
      })
      let got = ''
      s.on('data', (c) => {
        got += c.toString()
      })
      s.on('end', () => resolve(got))
      s.on('close', () => resolve(got))
      s.on('error', reject)
    })
    expect(reply).toMatch(/^HTTP\/1\.1 400/)
    expect(r.hits()).toBe(0)
  })
})

describe('admin endpoint', () => {
  const TOKEN = 'test-token-123'
  it('is off without a token: the path goes to the origin', async () => {
    r = await rig((q, res) => res.end(`origin:${q.url}`))
    expect((await r.get('/.cachestack/purge', {}, 'POST')).body).toBe('origin:/.cachestack/purge')
  })

  it('refuses a missing or wrong token with 401', async () => {
    r = await rig((_q, res) => res.end('x'), { adminToken: TOKEN })
    const denied = await postJson(r.proxy, { urls: '/a' }, null)
    expect(denied.status).toBe(401)
    expect(denied.cacheStatus).toBe('cachestack; detail=admin')
    expect((await postJson(r.proxy, { urls: '/a' }, 'wrong-token-123')).status).toBe(401)
    expect(r.hits()).toBe(0)
  })

  it('purges by URL, by prefix and by surrogate key', async () => {
    r = await rig(
      (q, res, n) => {
        res.writeHead(200, {
          'cache-control': 'max-age=600',
          'surrogate-key': q.url === '/docs/a' ? 'doc-a all-docs' : 'other',
          'cache-tag': q.url === '/p/x' ? 'product-x' : 'none',
        })
        res.end(`v${n}`)
      },
      { adminToken: TOKEN },
    )
    const paths = ['/docs/a', '/docs/b/c', '/p/x', '/q']
    for (const p of paths) await r.get(p)
    const fetched = async (p: string) => {
      const n = r!.hits()
      await r!.get(p)
      return r!.hits() - n
    }
    for (const p of paths) expect(await fetched(p)).toBe(0)
    expect((await postJson(r.proxy, { urls: '/q' })).status).toBe(200)
    expect(await fetched('/q')).toBe(1)
    expect(await fetched('/p/x')).toBe(0)
    await postJson(r.proxy, { prefixes: '/docs/' })
    expect(await fetched('/docs/a')).toBe(1)
    expect(await fetched('/docs/b/c')).toBe(1)
    expect(await fetched('/p/x')).toBe(0)
    await postJson(r.proxy, { keys: ['product-x'] })
    expect(await fetched('/p/x')).toBe(1)
    await postJson(r.proxy, { urls: `${r.proxy}/q` }) // absolute form
    expect(await fetched('/q')).toBe(1)
    expect(await fetched('/docs/a')).toBe(0)
  })

  it('rejects other methods and bad bodies', async () => {
    r = await rig((_q, res) => res.end('x'), { adminToken: TOKEN })
    expect(
      (await request(r.proxy, '/.cachestack/purge', { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(405)
    expect((await postJson(r.proxy, { urls: 7 })).status).toBe(400)
  })
})

async function postJson(base: string, body: unknown, token: string | null = 'test-token-123') {
  const url = new URL('/.cachestack/purge', base)
  return new Promise<{ status: number; body: string; cacheStatus: unknown }>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        let t = ''
        res.on('data', (c: Buffer) => {
          t += c.toString()
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: t, cacheStatus: res.headers['cache-status'] }))
      },
    )
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}
