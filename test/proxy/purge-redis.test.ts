/**
 * Two `cachestack proxy` processes (the CLI, as users run it) share one Redis
 * (tier and bus): a response stored through one is a hit through the other,
 * and a purge sent to one proxy's admin endpoint reaches the other's memory tier.
 */
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { missingServers, startRedis, type TestServer } from '../helpers/servers.js'
import { listen, request } from '../http/helpers.js'
import { startProxyCli } from './helpers.js'

const missing = missingServers('redis')
const TOKEN = 'purge-token-for-tests'
// The bus delivers a purge at once; a message sent before a fresh process has
// subscribed is covered by the shared tag versions within versionsMaxAge (1 s).
const WAIT = { timeout: 5000, interval: 50 }

const startCli = (args: string[]) => startProxyCli(args, { CACHESTACK_ADMIN_TOKEN: TOKEN })

describe.skipIf(missing !== undefined)('two proxy processes sharing Redis', () => {
  let redis: TestServer
  let origin: { base: string; close: () => Promise<void> }
  let hits = 0
  const procs: ChildProcess[] = []
  let a = ''
  let b = ''

  beforeAll(async () => {
    redis = await startRedis()
    origin = await listen(
      http.createServer((req, res) => {
        hits++
        res.writeHead(200, { 'cache-control': 'max-age=600', 'surrogate-key': `k-${req.url?.slice(1)}` })
        res.end(`v${hits}`)
      }),
    )
    const common = ['--origin', origin.base, '--port', '0', '--host', '127.0.0.1', '--store', redis.url]
    const [pa, pb] = await Promise.all([startCli(common), startCli(common)])
    procs.push(pa.child, pb.child)
    a = pa.base
    b = pb.base
  }, 30_000)

  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM')
    await origin?.close()
    await redis?.stop()
  })

  const purge = (base: string, body: unknown) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL('/.cachestack/purge', base)
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}` },
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        },
      )
      req.on('error', reject)
      req.end(JSON.stringify(body))
    })
  // Both proxies are asked with the same Host, as behind one load balancer.
  const get = (base: string, path: string) => request(base, path, { headers: { host: 'site.test' } })
  // Until the proxy answers from its cache: a write still in flight when a purge
  // lands would read the new tag versions and outlive the purge (as in any cache).
  const hitThrough = (base: string, path: string) =>
    vi.waitFor(async () => expect(String((await get(base, path)).headers['cache-status'])).toMatch(/hit/), WAIT)

  it('a response stored through one proxy is a hit through the other', async () => {
    expect((await get(a, '/one')).body).toBe('v1')
    // The shared-tier write follows the response; wait until it has landed.
    const redisClient = new Redis(redis.url)
    await vi.waitFor(async () => expect((await redisClient.keys('*/one*')).length).toBeGreaterThan(0))
    redisClient.disconnect()
    const viaB = await get(b, '/one')
    expect(viaB.body).toBe('v1')
    expect(String(viaB.headers['cache-status'])).toMatch(/hit/)
    expect(hits).toBe(1)
  })

  it('a purge by URL at one proxy reaches the other', async () => {
    await get(a, '/two')
    await hitThrough(b, '/two') // now in B's memory tier too
    const before = hits
    expect(await purge(a, { urls: 'http://site.test/two' })).toBe(200)
    await vi.waitFor(async () => {
      await get(b, '/two')
      expect(hits).toBe(before + 1)
    }, WAIT)
  })

  it('a purge by surrogate key at one proxy reaches the other', async () => {
    await hitThrough(b, '/three')
    const before = hits
    expect(await purge(a, { keys: ['k-three'] })).toBe(200)
    await vi.waitFor(async () => {
      await get(b, '/three')
      expect(hits).toBe(before + 1)
    }, WAIT)
  })
})
