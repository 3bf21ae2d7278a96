/**
 * The route cache shared across processes through a Redis tier: two servers,
 * each with its own cache over the same Redis prefix.
 */
import http from 'node:http'
import express from 'express'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cached } from '../../src/express.js'
import { createCache, memoryStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { REDIS_HOST, REDIS_PORT, REDIS_URL } from '../helpers/redis.js'
import { listen, request } from './helpers.js'

const prefix = `cs-test-${process.pid}-${Math.random().toString(36).slice(2)}:`
let reachable = false

beforeAll(async () => {
  const probe = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 0 })
  try {
    await probe.connect()
    await probe.ping()
    reachable = true
  } catch {
    reachable = false
  } finally {
    probe.disconnect()
  }
  if (!reachable && process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is required in CI`)
})

afterAll(async () => {
  if (!reachable) return
  const r = new Redis({ host: REDIS_HOST, port: REDIS_PORT })
  const keys = await r.keys(`${prefix}*`)
  if (keys.length > 0) await r.del(...keys)
  r.disconnect()
})

describe('route cache over Redis', () => {
  it('is shared by two processes, tags included', async (ctx) => {
    if (!reachable) {
      console.warn(`skipped: Redis is not running at ${REDIS_URL}`)
      ctx.skip()
    }
    const runs = { a: 0, b: 0 }
    const servers = await Promise.all(
      (['a', 'b'] as const).map(async (name) => {
        const cache = createCache({ tiers: [redisStore({ url: REDIS_URL, prefix })] })
        const app = express()
        app.get('/products', cached({ cache, ttl: '1m', tags: ['products'] }), (_req, res) => {
          runs[name]++
          res.json({ from: name, at: runs[name] })
        })
        return { cache, ...(await listen(http.createServer(app))) }
      }),
    )
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]]
    try {
      // behind one load balancer both see the same Host (the key includes it)
      const headers = { host: 'shop.example' }
      const first = await request(a.base, '/products', { headers })
      const fromB = await request(b.base, '/products', { headers })
      expect(fromB.body).toBe(first.body)
      expect(fromB.headers['cache-status']).toBe('cachestack; hit')
      expect(fromB.headers['content-type']).toMatch(/application\/json/)
      expect(runs).toEqual({ a: 1, b: 0 })
      await a.cache.invalidateTags(['products'])
      expect(JSON.parse((await request(b.base, '/products', { headers })).body)).toEqual({ from: 'b', at: 1 })
    } finally {
      await a.close()
      await b.close()
      await a.cache.close()
      await b.cache.close()
    }
  })

  it('keeps a memory tier in front for the synchronous hit path', async (ctx) => {
    if (!reachable) ctx.skip()
    const cache = createCache({ tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })] })
    const app = express()
    let runs = 0
    app.get('/two', cached({ cache, ttl: '1m' }), (_req, res) => {
      res.send(`run ${++runs}`)
    })
    const s = await listen(http.createServer(app))
    try {
      await request(s.base, '/two')
      expect((await request(s.base, '/two')).body).toBe('run 1')
    } finally {
      await s.close()
      await cache.close()
    }
  })
})
