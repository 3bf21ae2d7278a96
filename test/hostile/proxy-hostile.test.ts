/**
 * The proxy against hostile origins and clients: names that a plain object
 * inherits (`constructor`, `__proto__`, `toString`) in Vary, Cache-Control,
 * Surrogate-Key and request headers; a handler that throws; two Host lines.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { listen, request } from '../http/helpers.js'
import { type Rig, rig, startProxyCli } from '../proxy/helpers.js'
import { rawRequest } from './raw-http.js'

const INHERITED = ['constructor', 'Constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']

let r: Rig | undefined
afterEach(async () => {
  await r?.close()
  r = undefined
})

function answer(headers: Record<string, string>) {
  return (_req: IncomingMessage, res: ServerResponse, n: number) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=60', ...headers })
    res.end(`body ${n}`)
  }
}

describe('proxy: names an object inherits', () => {
  for (const name of INHERITED) {
    it(`Vary: ${name} is a header like any other (stored, keyed, served)`, async () => {
      r = await rig(answer({ vary: name }))
      const a = await r.get('/v')
      const b = await r.get('/v')
      const c = await r.get('/v', { [name.toLowerCase() === '__proto__' ? 'x-other' : name]: 'x' })
      expect([a.status, b.status, c.status]).toEqual([200, 200, 200])
      expect(a.body).toBe('body 1')
      expect(b.body).toBe('body 1')
      // A request that sends the varied-on header selects another entry (the origin sees it).
      if (name.toLowerCase() !== '__proto__') expect(c.body).toBe('body 2')
    })
  }

  it('a request header named __proto__ or constructor, twice, is forwarded and keyed as sent', async () => {
    r = await rig((req, res, n) => {
      res.writeHead(200, { 'cache-control': 'public, max-age=60', vary: '__proto__, constructor' })
      res.end(`${n} ${JSON.stringify(req.headersDistinct)}`)
    })
    const port = new URL(r.proxy).port
    const send = (v: string) =>
      rawRequest(r!.proxy, [
        'GET /h HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        `__proto__: ${v}`,
        `__proto__: ${v}2`,
        `Constructor: ${v}`,
        `constructor: ${v}3`,
      ])
    const a = await send('a')
    const b = await send('a')
    const c = await send('b')
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200])
    expect(a.body).toMatch(/^1 /)
    expect(a.body).toContain('"constructor":["a","a3"]')
    expect(b.body).toBe(a.body)
    expect(c.body).toMatch(/^2 /)
  })

  it('Cache-Control, Surrogate-Key and Cache-Tag naming inherited names are read as data', async () => {
    r = await rig(
      answer({
        'cache-control': 'constructor, __proto__=5, toString, public, max-age=60',
        'surrogate-key': 'constructor __proto__ toString',
        'cache-tag': '__proto__,constructor',
      }),
    )
    const a = await r.get('/cc')
    const b = await r.get('/cc')
    expect([a.status, b.status]).toEqual([200, 200])
    expect(b.body).toBe('body 1')
  })
})

describe('proxy: a handler that throws never ends the process', () => {
  it('`cachestack proxy` keeps serving after an origin answers Vary: Constructor', async () => {
    const origin = http.createServer((_req, res) => {
      res.writeHead(200, { 'cache-control': 'public, max-age=60', vary: 'Constructor' })
      res.end('ok')
    })
    const o = await listen(origin)
    const { child, base } = await startProxyCli(['--origin', o.base, '--port', '0'])
    try {
      const replies = []
      for (let i = 0; i < 4; i++) replies.push((await request(base, '/x')).status)
      expect(replies).toEqual([200, 200, 200, 200])
      expect(child.exitCode).toBe(null)
    } finally {
      child.kill('SIGKILL')
      await o.close()
    }
  })
})

describe('proxy: a fault inside the proxy is reported, answered 502, and serving goes on', () => {
  /** A real cache whose methods named in `broken` throw synchronously (a bug in a custom tier or wrapper). */
  function brokenCache(broken: Set<string>) {
    const cache = createCache({ tiers: [memoryStore()] })
    return new Proxy(cache, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target)
        if (typeof v !== 'function') return v
        return (...args: unknown[]) => {
          if (broken.has(String(prop))) throw new Error(`broken ${String(prop)}`)
          return (v as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
  }

  for (const method of ['getSync', 'set', 'get']) {
    it(`a cache whose ${method}() throws: 502 or the origin's answer, onError told, the next request served`, async () => {
      const broken = new Set([method])
      const errors: unknown[] = []
      r = await rig(answer({}), { cache: brokenCache(broken), onError: (err) => errors.push(err) })
      const a = await r.get('/b')
      expect([200, 502]).toContain(a.status)
      broken.clear()
      const b = await r.get('/b')
      expect(b.status).toBe(200)
      expect(errors.length).toBeGreaterThan(0)
      expect(String(errors[0])).toContain(`broken ${method}`)
    })
  }
})

describe('proxy: requests an attacker shapes', () => {
  it('two Host lines: 400 (RFC 9112 §3.2), the origin never asked', async () => {
    r = await rig(answer({}))
    const port = new URL(r.proxy).port
    const reply = await rawRequest(r.proxy, ['GET /h HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Host: evil.test'])
    expect(reply.status).toBe(400)
    expect(r.hits()).toBe(0)
    const one = await rawRequest(r.proxy, ['GET /h HTTP/1.1', `Host: 127.0.0.1:${port}`])
    expect(one.status).toBe(200)
  })

  it("a client's True-Client-IP and other address fields never reach the origin (unless trustForwarded)", async () => {
    r = await rig(answer({}))
    const spoofed = {
      'true-client-ip': '1.2.3.4',
      'cf-connecting-ip': '1.2.3.4',
      'x-client-ip': '1.2.3.4',
      'x-real-ip': '1.2.3.4',
    }
    await r.get('/ip', spoofed)
    for (const name of Object.keys(spoofed)) expect(r.seen[0]![name]).toBeUndefined()
    expect(r.seen[0]!['x-forwarded-for']).not.toContain('1.2.3.4')
    await r.close()
    r = await rig(answer({}), { trustForwarded: true })
    await r.get('/ip', spoofed)
    expect(r.seen[0]!['true-client-ip']).toBe('1.2.3.4')
  })

  for (const name of ['x-api-key', 'api-key', 'x-auth-token', 'x-access-token']) {
    it(`a response to a request with ${name} is not shared with other clients`, async () => {
      r = await rig((req, res, n) => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        res.end(`${n} for ${req.headers[name] ?? 'nobody'}`)
      })
      const alice = await r.get('/me', { [name]: 'alice-secret' })
      const anon = await r.get('/me')
      expect(alice.body).toBe('1 for alice-secret')
      expect(anon.body).toBe('2 for nobody')
    })
  }

  it('a response that says public is shared even with X-Api-Key, as with Authorization', async () => {
    r = await rig(answer({}))
    await r.get('/p', { 'x-api-key': 'k' })
    const b = await r.get('/p')
    expect(b.body).toBe('body 1')
  })
})
