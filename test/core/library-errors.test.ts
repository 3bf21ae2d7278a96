import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { fastlyPurge } from '../../src/http.js'
import { CacheError, createCache, memoryStore } from '../../src/index.js'
import { purgeTags } from '../../src/proxy.js'
import { redisRateLimitStore } from '../../src/ratelimit.js'
import { expressSessionStore } from '../../src/session.js'
import { sqliteStore } from '../../src/sqlite.js'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CacheError)
    return (err as CacheError).code
  }
  throw new Error('expected a CacheError')
}

describe('library throws are CacheErrors with codes (issue 19, finding 12)', () => {
  it('redisRateLimitStore without a client: ERR_CACHE_INVALID_OPTION naming the client', () => {
    expect(codeOf(() => redisRateLimitStore({} as never))).toBe('ERR_CACHE_INVALID_OPTION')
    expect(() => redisRateLimitStore(null as never)).toThrow(/"client".*ioredis/)
  })

  it('expressSessionStore without the express-session module: ERR_CACHE_INVALID_OPTION', () => {
    const cache = createCache({ tiers: [memoryStore()] })
    expect(codeOf(() => expressSessionStore({} as never, { cache }))).toBe('ERR_CACHE_INVALID_OPTION')
  })

  it('a bad purge request to the proxy admin: ERR_CACHE_PURGE_REQUEST', () => {
    expect(codeOf(() => purgeTags({ urls: 5 as never }, 'example.com'))).toBe('ERR_CACHE_PURGE_REQUEST')
    expect(codeOf(() => purgeTags({ urls: ['no scheme here'] }, 'example.com'))).toBe('ERR_CACHE_PURGE_REQUEST')
    expect(purgeTags({ urls: ['/a'] }, 'example.com')).toHaveLength(1)
  })

  it('a CDN that refuses a purge: ERR_CACHE_PURGE with its status and answer', async () => {
    const server = createServer((_req, res) => res.writeHead(403).end('{"msg":"bad token"}'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const purge = fastlyPurge({ serviceId: 's', token: 't', baseUrl: `http://127.0.0.1:${port}` })
      const err = await purge(['products']).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(CacheError)
      expect((err as CacheError).code).toBe('ERR_CACHE_PURGE')
      expect((err as CacheError).message).toMatch(/HTTP 403.*bad token/)
    } finally {
      server.close()
    }
  })

  it("the serializer names the user's path in a byte tier, not the envelope's slot", async () => {
    const cache = createCache({ tiers: [sqliteStore({ path: ':memory:' })], strict: true })
    const node: Record<string, unknown> = { id: 1 }
    node.self = node
    const err = await cache.set('n', { items: [node] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(CacheError)
    expect((err as CacheError).code).toBe('ERR_CACHE_SERIALIZE')
    expect((err as CacheError).message).toContain('at value.items[0].self')
    expect((err as CacheError).message).not.toContain('[8]')
    await cache.close()
  })
})
