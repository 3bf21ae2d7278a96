/**
 * Rate-limit defects found in review, reproduced on the real Redis.
 */
import http from 'node:http'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { addressKey } from '../../src/ratelimit/middleware/shared.js'
import { type Decision, expressRateLimit, memoryRateLimitStore, rateLimit } from '../../src/ratelimit.js'
import { redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'
import { listen, request } from '../http/helpers.js'

const hasRedis = await redisAvailable()
const unique = uniquePrefix('rl-review')

describe.skipIf(!hasRedis)('limiters sharing one Redis', () => {
  const redis = redisClientFor(unique)
  it('two differently named policies with the same numbers count apart by default', async () => {
    const login = rateLimit({ store: redis.client, limit: 2, window: '1m', name: 'login' })
    const signup = rateLimit({ store: redis.client, limit: 2, window: '1m', name: 'signup' })
    const ip = `${unique}203.0.113.9`
    try {
      expect((await login.consume(ip)).allowed).toBe(true)
      expect((await login.consume(ip)).allowed).toBe(true)
      expect((await signup.consume(ip)).allowed).toBe(true)
    } finally {
      await login.reset(ip)
      await signup.reset(ip)
    }
  })
})

describe('the default key', () => {
  it('keeps IPv4 addresses, maps IPv4-mapped IPv6 to IPv4, and cuts IPv6 to its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9')
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9')
    expect(addressKey('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:3::5')).toBe('2001:db8:1:3::/64')
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
  })

  it('counts an IPv6 client by its /64, so rotating addresses in its prefix does not evade the limit', async () => {
    const app = express()
    app.set('trust proxy', true)
    app.use(expressRateLimit(rateLimit({ limit: 2, window: '1m' })))
    app.get('/', (_req, res) => {
      res.send('ok')
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      const statuses: number[] = []
      for (let i = 1; i <= 4; i++) {
        const reply = await request(base, '/', { headers: { 'x-forwarded-for': `2001:db8:1:2::${i}` } })
        statuses.push(reply.status)
      }
      expect(statuses).toEqual([200, 200, 429, 429])
    } finally {
      await close()
    }
  })
})

describe('the memory store at its bound', () => {
  /** Counts the steps of every Map iterator while `fn` runs (the store's sweeps walk its Map). */
  function mapSteps(fn: () => void): number {
    const proto = Object.getPrototypeOf(new Map().entries()) as { next: () => IteratorResult<unknown> }
    const next = proto.next
    let steps = 0
    proto.next = function counted(this: unknown) {
      steps++
      return next.call(this)
    }
    try {
      fn()
    } finally {
      proto.next = next
    }
    return steps
  }

  it('takes a new key in constant work, not a sweep of every key (a flood of new keys is not a CPU lever)', () => {
    const store = memoryRateLimitStore({ maxKeys: 50_000 })
    const now = 1_000_000
    const call = (key: string, at = now) =>
      store.consume({ key, algorithm: 'fixed', limit: 5, window: 60_000, cost: 1, now: at })
    for (let i = 0; i < 50_000; i++) call(`k${i}`)
    const steps = mapSteps(() => {
      for (let i = 0; i < 100; i++) call(`flood${i}`)
    })
    expect(steps).toBeLessThan(100 * 20)
  })

  it('still prefers an expired key to a live one, and keeps the newest', () => {
    const store = memoryRateLimitStore({ maxKeys: 3 })
    const take = (key: string, now: number, window = 1000) =>
      store.consume({ key, algorithm: 'fixed', limit: 1, window, cost: 1, now }) as Decision
    take('short', 0, 10)
    take('a', 0)
    take('b', 0)
    take('c', 100) // full: 'short' has expired and makes room
    expect(take('a', 100).allowed).toBe(false)
    expect(take('b', 100).allowed).toBe(false)
    expect(take('c', 100).allowed).toBe(false)
    take('d', 100) // nothing expired: the oldest ('a') goes
    expect(take('a', 100).allowed).toBe(true)
  })
})

describe('middleware cost', () => {
  it('a request that costs 0 is free: admitted, not counted, not an error', async () => {
    const app = express()
    app.use(
      expressRateLimit(rateLimit({ limit: 1, window: '1m' }), {
        cost: (req) => (req.method === 'GET' ? 0 : 1),
      }),
    )
    app.all('/', (_req, res) => {
      res.send('ok')
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      const free = await request(base, '/')
      expect(free.status).toBe(200)
      expect(free.headers.ratelimit).toBe('"default";r=1;t=60')
      expect((await request(base, '/', { method: 'POST' })).status).toBe(200)
      expect((await request(base, '/', { method: 'POST' })).status).toBe(429)
      const stillFree = await request(base, '/')
      expect(stillFree.status).toBe(200)
      expect(stillFree.headers.ratelimit).toMatch(/r=0/)
    } finally {
      await close()
    }
  })
})
