/**
 * Session defects found in review, reproduced on the real Redis.
 */
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { redisBus, redisStore } from '../../src/redis.js'
import { fastifySessionStore } from '../../src/session.js'
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.js'

const hasRedis = await redisAvailable()
const prefix = uniquePrefix('session-review')

function cb(fn: (done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err === undefined || err === null ? resolve() : reject(err))))
}

describe.skipIf(!hasRedis)('sessions over memory + Redis + bus, two processes', () => {
  it('a rolling touch in one process right after a logout in another does not bring the session back', async () => {
    const make = () =>
      createCache({
        tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })],
        bus: redisBus({ url: REDIS_URL, channel: `${prefix}bus` }),
      })
    const a = make()
    const b = make()
    const storeA = fastifySessionStore({ cache: a })
    const storeB = fastifySessionStore({ cache: b })
    const session = { user: 'ada', cookie: { maxAge: 3_600_000 } }
    try {
      await cb((done) => storeA.set('sid-1', session, done))
      // Process A has the session in its memory tier (it served a request).
      await new Promise<void>((resolve, reject) =>
        storeA.get('sid-1', (err, s) => {
          if (err) return reject(err)
          expect(s).not.toBeNull()
          resolve()
        }),
      )
      // Logout in process B, then at once a request of the same session in A touches it (rolling).
      await cb((done) => storeB.destroy('sid-1', done))
      await cb((done) => storeA.touch('sid-1', session, done))
      await new Promise((r) => setTimeout(r, 200))
      const after = await new Promise<unknown>((resolve, reject) =>
        storeB.get('sid-1', (err, s) => (err ? reject(err) : resolve(s))),
      )
      expect(after).toBeNull()
    } finally {
      await a.close()
      await b.close()
      const redis = new Redis(REDIS_URL)
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length > 0) await redis.del(...keys)
      redis.disconnect()
    }
  })
})
