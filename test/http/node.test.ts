import http from 'node:http'
import { describe, expect, it } from 'vitest'
import { cached, cacheHandler } from '../../src/http.js'
import { createCache, memoryStore } from '../../src/index.js'
import { listen, request } from './helpers.js'
import { type AppHandler, runRouteSuite } from './route-suite.js'

function nodeApp(handler: AppHandler) {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const out = await handler({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers })
    res.statusCode = out.status ?? 200
    for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v)
    if (typeof out.body === 'string') res.end(out.body)
    else {
      for (const chunk of out.body) res.write(chunk)
      res.end()
    }
  }
}

runRouteSuite('node:http', async (options, handler) => {
  // biome-ignore lint/suspicious/noExplicitAny: the suite passes options for every adapter
  const route = cached(options as any)
  const app = nodeApp(handler)
  return listen(http.createServer((req, res) => route(req, res, () => void app(req, res))))
})

describe('node:http specifics', () => {
  it('cacheHandler wraps a request listener; headers given to writeHead are stored', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    let runs = 0
    const server = http.createServer(
      cacheHandler(
        (_req, res) => {
          runs++
          res.writeHead(200, { 'content-type': 'text/plain', 'x-run': String(runs) })
          res.end('hi')
        },
        { cache, ttl: '1m' },
      ),
    )
    const { base, close } = await listen(server)
    try {
      await request(base, '/')
      const hit = await request(base, '/')
      expect(hit.body).toBe('hi')
      expect(hit.headers['x-run']).toBe('1')
      expect(hit.headers['content-type']).toBe('text/plain')
      expect(runs).toBe(1)
    } finally {
      await close()
    }
  })

  it("a key function fed request input cannot forge another variant's key", async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const route = cached({
      cache,
      ttl: '1m',
      vary: ['x-a', 'x-b'],
      key: (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '',
    })
    const server = http.createServer((req, res) =>
      route(req, res, () => res.end(`a=${String(req.headers['x-a'])} b=${String(req.headers['x-b'])}`)),
    )
    const { base, close } = await listen(server)
    try {
      // the attacker's key part ends with what the victim's vary part starts with
      const evil = await request(base, `/?page=${encodeURIComponent('1\nx-a=1')}`, {
        headers: { 'x-a': 'evil', 'x-b': '2' },
      })
      expect(evil.body).toBe('a=evil b=2')
      const victim = await request(base, '/?page=1', { headers: { 'x-a': '1', 'x-b': '2' } })
      expect(victim.body).toBe('a=1 b=2')
    } finally {
      await close()
    }
  })

  it('rejects unsafe options with a message naming the option', () => {
    const cache = createCache({ tiers: [memoryStore()] })
    expect(() => cached({ cache, public: true })).toThrow(/vary/)
    // biome-ignore lint/suspicious/noExplicitAny: testing bad input
    expect(() => cached({ cache: {} as any })).toThrow(/cache/)
    // biome-ignore lint/suspicious/noExplicitAny: testing bad input
    expect(() => cached({ cache, ttl: 'soon' as any })).toThrow(/ttl/)
  })
})
