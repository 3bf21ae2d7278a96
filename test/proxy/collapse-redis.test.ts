/**
 * Coalescing across processes: three `cachestack proxy` processes (the CLI)
 * share one Redis (tier, bus and lock). Concurrent misses of one URL spread
 * over all three make one origin request; an uncacheable answer sends the
 * waiters to the origin on their own; with Redis gone, every request is still
 * answered from the origin.
 */
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { missingServers, startRedis, type TestServer } from '../helpers/servers.js'
import { listen, type Reply, request } from '../http/helpers.js'
import { startProxyCli } from './helpers.js'

const missing = missingServers('redis')
/** How long the origin takes to answer: long enough for every client to arrive while the first fetch is out. */
const SLOW = 300

const startCli = (args: string[]) => startProxyCli(args)

describe.skipIf(missing !== undefined)('three proxy processes sharing Redis coalesce a miss', () => {
  let redis: TestServer
  let origin: { base: string; close: () => Promise<void> }
  /** Origin requests per path. */
  const hits = new Map<string, number>()
  const procs: ChildProcess[] = []
  let proxies: string[] = []

  beforeAll(async () => {
    redis = await startRedis()
    origin = await listen(
      http.createServer((req, res) => {
        const path = req.url ?? '/'
        const n = (hits.get(path) ?? 0) + 1
        hits.set(path, n)
        const cc = path.startsWith('/private')
          ? 'private, max-age=600'
          : path.startsWith('/no-store')
            ? 'no-store'
            : 'max-age=600'
        setTimeout(() => {
          res.writeHead(200, { 'cache-control': cc, 'content-type': 'text/plain' })
          res.end(`${path} #${n}`)
        }, SLOW)
      }),
    )
    // A wait far beyond the test's timeout: a waiter that waited it out instead of
    // being released (uncacheable answer, Redis down) fails the test.
    const common = ['--origin', origin.base, '--port', '0', '--host', '127.0.0.1', '--store', redis.url]
    common.push('--collapse-wait', '60s')
    const started = await Promise.all([startCli(common), startCli(common), startCli(common)])
    for (const p of started) procs.push(p.child)
    proxies = started.map((p) => p.base)
  }, 30_000)

  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM')
    await origin?.close()
    await redis?.stop()
  })

  // Every proxy is asked with the same Host, as behind one load balancer.
  const get = (base: string, path: string): Promise<Reply> => request(base, path, { headers: { host: 'site.test' } })
  /** `n` concurrent requests for `path`, spread round-robin over the proxies. */
  const burst = (path: string, n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => get(proxies[i % proxies.length]!, path)))
  const statusOf = (r: Reply) => String(r.headers['cache-status'])

  it('36 concurrent misses over three processes make one origin request', async () => {
    const replies = await burst('/shared', 36)
    expect(hits.get('/shared')).toBe(1)
    for (const r of replies) {
      expect(r.status).toBe(200)
      expect(r.body).toBe('/shared #1')
    }
    // One reply caused the fetch and stored it; every other was collapsed onto it.
    expect(replies.filter((r) => /; stored/.test(statusOf(r)))).toHaveLength(1)
    expect(replies.filter((r) => /collapsed/.test(statusOf(r)))).toHaveLength(35)
    // Afterwards each process answers from the cache.
    for (const base of proxies) expect(statusOf(await get(base, '/shared'))).toMatch(/hit/)
    expect(hits.get('/shared')).toBe(1)
  })

  it('an uncacheable answer sends the waiters to the origin on their own', async () => {
    for (const path of ['/private/page', '/no-store/page']) {
      const replies = await burst(path, 30)
      // Nothing could be stored, so every request was answered by its own fetch.
      expect(hits.get(path)).toBe(30)
      const bodies = new Set<string>()
      for (const r of replies) {
        expect(r.status).toBe(200)
        expect(r.body).toMatch(new RegExp(`^${path} #\\d+$`))
        expect(statusOf(r)).not.toMatch(/stored/)
        bodies.add(r.body)
      }
      expect(bodies.size).toBe(30)
      // The leader left word that the URL is uncacheable, so later misses skip the lock.
      const client = new Redis(redis.url)
      const marks = await client.keys(`*${path}*!pass*`)
      client.disconnect()
      expect(marks).toHaveLength(1)
      // A second wave, with the URL known to be uncacheable, is answered the same way.
      const again = await burst(path, 9)
      expect(hits.get(path)).toBe(39)
      for (const r of again) expect(r.status).toBe(200)
    }
  })

  it('with Redis gone, every request is still answered from the origin', async () => {
    await redis.stop()
    const replies = await burst('/redis-down', 12)
    for (const r of replies) {
      expect(r.status).toBe(200)
      expect(r.body).toMatch(/^\/redis-down #\d+$/)
    }
    // Without the shared lock each process fetches for itself (still once per process).
    const n = hits.get('/redis-down') ?? 0
    expect(n).toBeGreaterThanOrEqual(1)
    expect(n).toBeLessThanOrEqual(proxies.length)
  }, 20_000)
})
