/**
 * The route cache against hostile requests: a Host whose case the handler
 * reads differently from the key, names an object inherits in `vary`, two
 * Host lines.
 */
import http from 'node:http'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { cached as cachedExpress } from '../../src/express.js'
import { cached } from '../../src/http.js'
import { createCache, memoryStore } from '../../src/index.js'
import { listen, request } from '../http/helpers.js'
import { rawRequest } from './raw-http.js'

describe('route cache: the case of Host', () => {
  it('Express: a 404 for Host VICTIM.test is never served to visitors of victim.test', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    app.get('/home', cachedExpress({ cache, ttl: '1m' }), (req, res) => {
      if (req.hostname !== 'victim.test') res.status(404).send('no such site')
      else res.send('welcome')
    })
    const { base, close } = await listen(http.createServer(app))
    try {
      const attack = await request(base, '/home', { headers: { host: 'VICTIM.test' } })
      expect(attack.status).toBe(404)
      const visitor = await request(base, '/home', { headers: { host: 'victim.test' } })
      expect(visitor.status).toBe(200)
      expect(visitor.body).toBe('welcome')
      // Each spelling keeps its own entry: stored, then served from the cache.
      const again = await request(base, '/home', { headers: { host: 'victim.test' } })
      expect(again.headers['cache-status']).toMatch(/hit/)
    } finally {
      await close()
      await cache.close()
    }
  })

  it('node:http: the handler and the key see one Host', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const route = cached({ cache, ttl: '1m' })
    const server = http.createServer((req, res) =>
      route(req, res, () => {
        res.statusCode = req.headers.host === 'Victim.Test' ? 200 : 404
        res.end(`host ${req.headers.host}`)
      }),
    )
    const { base, close } = await listen(server)
    try {
      const a = await request(base, '/', { headers: { host: 'victim.test' } })
      const b = await request(base, '/', { headers: { host: 'Victim.Test' } })
      expect([a.status, a.body]).toEqual([404, 'host victim.test'])
      expect([b.status, b.body]).toEqual([200, 'host Victim.Test'])
    } finally {
      await close()
      await cache.close()
    }
  })
})

describe('route cache: names an object inherits', () => {
  for (const name of ['constructor', '__proto__', 'toString']) {
    it(`vary: ['${name}'] caches and keys like any header`, async () => {
      const cache = createCache({ tiers: [memoryStore()] })
      let runs = 0
      const route = cached({ cache, ttl: '1m', vary: [name] })
      const server = http.createServer((req, res) =>
        route(req, res, () => {
          runs++
          res.end(`run ${runs}`)
        }),
      )
      const { base, close } = await listen(server)
      try {
        const a = await request(base, '/v')
        const b = await request(base, '/v')
        expect([a.status, b.status]).toEqual([200, 200])
        expect(b.body).toBe('run 1')
        const port = new URL(base).port
        const c = await rawRequest(base, ['GET /v HTTP/1.1', `Host: 127.0.0.1:${port}`, `${name}: x`])
        expect(c.status).toBe(200)
      } finally {
        await close()
        await cache.close()
      }
    })
  }
})
