/** The proxy's connection pool to the origin: `originMaxSockets` (`--origin-max-sockets`) caps concurrent connections. */
import http, { type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { parseProxyArgs, startProxy } from '../../src/cli/proxy-command.js'
import { createCache, memoryStore } from '../../src/index.js'
import { createProxy } from '../../src/proxy.js'
import { listen, request } from '../http/helpers.js'

/**
 * An origin that counts the connections open to it (the most at once) and
 * holds every request until `batch` of them are waiting (or the `total`-th
 * has come), then answers them all: without a cap the proxy opens a connection
 * per miss of a burst.
 */
async function countingOrigin(batch: number, total = Number.POSITIVE_INFINITY) {
  let open = 0
  let maxOpen = 0
  let requests = 0
  const waiting: ServerResponse[] = []
  const server = http.createServer((req, res) => {
    requests++
    waiting.push(res)
    if (waiting.length >= batch || requests === total) {
      for (const r of waiting.splice(0)) {
        r.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' })
        r.end(`body of ${req.url}`)
      }
    }
  })
  server.on('connection', (socket) => {
    open++
    maxOpen = Math.max(maxOpen, open)
    socket.once('close', () => {
      open--
    })
  })
  const o = await listen(server)
  return { ...o, maxOpen: () => maxOpen, requests: () => requests }
}

/** `n` concurrent misses, each for its own URL (no coalescing). */
function burst(base: string, n: number) {
  return Promise.all(Array.from({ length: n }, (_, i) => request(base, `/item/${i}`)))
}

describe('originMaxSockets', () => {
  it('a burst of misses never opens more connections to the origin than the cap', async () => {
    const origin = await countingOrigin(4)
    const cache = createCache({ tiers: [memoryStore()] })
    const proxy = await listen(createProxy({ origin: origin.base, cache, originMaxSockets: 4 }))
    try {
      const replies = await burst(proxy.base, 20)
      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200))
      expect(replies[7]!.body).toBe('body of /item/7')
      expect(origin.requests()).toBe(20)
      expect(origin.maxOpen()).toBeLessThanOrEqual(4)
    } finally {
      await proxy.close()
      await origin.close()
    }
  })

  it('is 256 by default', async () => {
    const origin = await countingOrigin(256, 300)
    const cache = createCache({ tiers: [memoryStore()] })
    const proxy = await listen(createProxy({ origin: origin.base, cache }))
    try {
      const replies = await burst(proxy.base, 300)
      expect(replies.every((r) => r.status === 200)).toBe(true)
      expect(origin.requests()).toBe(300)
      expect(origin.maxOpen()).toBeLessThanOrEqual(256)
    } finally {
      await proxy.close()
      await origin.close()
    }
  })

  it('--origin-max-sockets sets the cap from the command line', async () => {
    const origin = await countingOrigin(3)
    const cfg = parseProxyArgs([
      '--origin',
      origin.base,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--origin-max-sockets',
      '3',
    ])
    expect(cfg.originMaxSockets).toBe(3)
    const server = await startProxy(cfg)
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const replies = await burst(base, 21)
      expect(replies.every((r) => r.status === 200)).toBe(true)
      expect(origin.maxOpen()).toBeLessThanOrEqual(3)
    } finally {
      server.closeAllConnections?.()
      await new Promise<void>((r) => server.close(() => r()))
      await origin.close()
    }
  })

  it('a request queued for a connection longer than originTimeout gets 504', async () => {
    let finish: (() => void) | undefined
    const origin = await listen(
      http.createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
        if (req.url === '/stream') {
          // Headers at once, then a body that holds the only connection until the test ends it.
          res.write('first ')
          finish = () => res.end('last')
        } else res.end('other')
      }),
    )
    const cache = createCache({ tiers: [memoryStore()] })
    const proxy = await listen(
      createProxy({ origin: origin.base, cache, originMaxSockets: 1, originTimeout: '300ms', bodyTimeout: 0 }),
    )
    try {
      const streaming = request(proxy.base, '/stream')
      while (finish === undefined) await new Promise((r) => setTimeout(r, 5))
      const queued = await request(proxy.base, '/other')
      expect(queued.status).toBe(504)
      expect(queued.headers['cache-status']).toMatch(/origin-timeout/)
      finish()
      expect((await streaming).body).toBe('first last')
      // The connection is free again: the next request goes through.
      expect((await request(proxy.base, '/other')).body).toBe('other')
    } finally {
      await proxy.close()
      await origin.close()
    }
  })

  it('refuses a cap that is not a whole number of at least 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '8']) {
      expect(() => createProxy({ origin: 'http://127.0.0.1:1', originMaxSockets: bad as number })).toThrow(
        /originMaxSockets/,
      )
    }
    expect(() => parseProxyArgs(['--origin', 'http://127.0.0.1:1', '--origin-max-sockets', '0'])).toThrow(
      /--origin-max-sockets/,
    )
    createProxy({ origin: 'http://127.0.0.1:1', originMaxSockets: Number.POSITIVE_INFINITY }).close()
  })
})
