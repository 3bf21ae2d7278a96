import { type ChildProcess, spawn } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { type Algorithm, rateLimit } from '../../src/ratelimit.js'
import { REDIS_URL, redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'

const hasRedis = await redisAvailable()
const prefix = uniquePrefix('rl-shared')
const ALGORITHMS: Algorithm[] = ['fixed', 'sliding', 'token-bucket']
const fixture = fileURLToPath(new URL('./fixtures/limited-server.ts', import.meta.url))

/** GET on a connection of its own (no keep-alive reuse racing the server's idle timeout); the status. */
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
      .on('error', reject)
      .end()
  })
}

function startProcess(limit: number): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, RL_PREFIX: prefix, RL_LIMIT: String(limit), REDIS_URL },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /READY (\d+)/.exec(out)
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` })
    })
    child.on('exit', (code) => reject(new Error(`limited-server exited with ${code}`)))
  })
}

describe.skipIf(!hasRedis)('one Redis counter shared by many processes and limiters', () => {
  const redis = redisClientFor(prefix)

  it('10 processes × 100 concurrent requests never admit more than the limit (counted exactly)', async () => {
    const LIMIT = 237
    const procs = await Promise.all(Array.from({ length: 10 }, () => startProcess(LIMIT)))
    try {
      for (const algorithm of ALGORITHMS) {
        const statuses = await Promise.all(
          procs.flatMap(({ url }) => Array.from({ length: 100 }, () => get(`${url}/${algorithm}`))),
        )
        expect(statuses.filter((s) => s === 200).length, algorithm).toBe(LIMIT)
        expect(statuses.filter((s) => s === 429).length, algorithm).toBe(1000 - LIMIT)
      }
    } finally {
      for (const { child } of procs) {
        child.removeAllListeners('exit')
        child.stdin!.end()
        child.kill()
      }
    }
  }, 60_000)

  it('limiter instances with their own connections share one counter', async () => {
    const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL), new Redis(REDIS_URL)]
    await Promise.all(clients.map((c) => c.ping()))
    try {
      for (const algorithm of ALGORITHMS) {
        const limiters = clients.map((store) =>
          rateLimit({
            store,
            limit: 50,
            window: '1h',
            algorithm,
            prefix: `${prefix}inst:${algorithm}:`,
            timeout: '60s',
          }),
        )
        const results = await Promise.all(
          limiters.flatMap((l) => Array.from({ length: 40 }, () => l.consume('user:1'))),
        )
        expect(results.every((r) => r.error === undefined)).toBe(true)
        expect(results.filter((r) => r.allowed).length, algorithm).toBe(50)
        expect((await limiters[0]!.check('user:1')).remaining).toBe(0)
        await limiters[1]!.reset('user:1')
        expect((await limiters[2]!.check('user:1')).remaining).toBe(50)
      }
    } finally {
      for (const c of clients) c.disconnect()
    }
  })

  it('fixed window on the server clock: a counter that expires with the window', async () => {
    const limiter = rateLimit({ store: redis.client, limit: 3, window: '1m', prefix: `${prefix}srv:` })
    expect(await limiter.check('ada')).toMatchObject({ allowed: true, remaining: 3, reset: 60_000 })
    expect(await redis.client.exists(`${prefix}srv:ada`)).toBe(0)
    expect(await limiter.consume('ada', 2)).toMatchObject({ allowed: true, remaining: 1, reset: 60_000 })
    expect(await redis.client.get(`${prefix}srv:ada`)).toBe('2')
    const last = await limiter.consume('ada')
    expect(last).toMatchObject({ allowed: true, remaining: 0 })
    expect(last.reset).toBeGreaterThan(0)
    expect(last.reset).toBeLessThanOrEqual(60_000)
    const refused = await limiter.consume('ada')
    expect(refused).toMatchObject({ allowed: false, remaining: 0 })
    expect(refused.retryAfter).toBeGreaterThan(0)
    expect(refused.retryAfter).toBeLessThanOrEqual(60_000)
    expect(await redis.client.get(`${prefix}srv:ada`)).toBe('3') // a refusal takes nothing
    expect((await limiter.consume('bob', 4)).retryAfter).toBe(-1) // never fits
    await redis.client.pexpire(`${prefix}srv:ada`, 1) // the window ends
    await new Promise((r) => setTimeout(r, 5))
    expect(await limiter.consume('ada')).toMatchObject({ allowed: true, remaining: 2 })
  })

  it('keeps one string per key with an expiry, named by prefix and key', async () => {
    const limiter = rateLimit({
      store: redis.client,
      limit: 5,
      window: '1m',
      algorithm: 'sliding',
      prefix: `${prefix}k:`,
    })
    await limiter.consume('ada')
    expect(await redis.client.type(`${prefix}k:ada`)).toBe('string')
    const ttl = await redis.client.pttl(`${prefix}k:ada`)
    expect(ttl).toBeGreaterThan(60_000)
    expect(ttl).toBeLessThanOrEqual(120_000)
  })

  it('reloads its script when Redis has forgotten it (SCRIPT FLUSH)', async () => {
    const limiter = rateLimit({ store: redis.client, limit: 5, window: '1m', prefix: `${prefix}flush:` })
    await limiter.consume('a')
    await redis.client.script('FLUSH')
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 3 })
  })
})
