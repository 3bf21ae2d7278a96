import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { type Cache, createCache, manualClock, memoryStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { fastifySessionStore, type SessionInput } from '../../src/session.js'
import { redisAvailable, redisClientFor, uniquePrefix } from '../helpers/redis.js'
import { cookieOf, sidOf, whoami } from './helpers.js'

declare module 'fastify' {
  interface Session {
    user?: string
  }
}

const hasRedis = await redisAvailable()
const prefix = uniquePrefix('fsession')

interface Running {
  url: string
  app: FastifyInstance
}

async function fastifyApp(cache: Cache, maxAge = 3_600_000): Promise<Running> {
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: 'a-secret-with-at-least-32-characters!!',
    store: fastifySessionStore({ cache }),
    saveUninitialized: false,
    cookie: { secure: false, maxAge },
  })
  app.post('/login', async (req) => {
    req.session.user = 'ada'
    return 'ok'
  })
  app.get('/me', async (req) => ({ user: req.session.user ?? null }))
  app.post('/logout', async (req) => {
    await req.session.destroy()
    return 'bye'
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url, app }
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/login`, { method: 'POST' })
  expect(res.status).toBe(200)
  return cookieOf(res)
}

describe('@fastify/session over a memory tier', () => {
  it('logs in, keeps the session, logs out', async () => {
    const { url, app } = await fastifyApp(createCache({ tiers: [memoryStore()] }))
    try {
      const cookie = await login(url)
      expect(await whoami(url, cookie)).toBe('ada')
      await fetch(`${url}/logout`, { method: 'POST', headers: { cookie } })
      expect(await whoami(url, cookie)).toBe(null)
    } finally {
      await app.close()
    }
  })

  it('an idle session ends with its cookie; a used one rolls on', async () => {
    const clock = manualClock()
    const { url, app } = await fastifyApp(createCache({ tiers: [memoryStore()], clock }), 600_000)
    try {
      const cookie = await login(url)
      const idle = await login(url)
      clock.advance('9m')
      expect(await whoami(url, cookie)).toBe('ada')
      clock.advance('2m')
      expect(await whoami(url, idle)).toBe(null)
      expect(await whoami(url, cookie)).toBe('ada')
    } finally {
      await app.close()
    }
  })

  it('touch gives a stored session a new lifetime', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    const store = fastifySessionStore({ cache })
    const cb = () =>
      new Promise<unknown>((done) => store.set('s1', { cookie: { maxAge: 60_000 }, n: 1 } as SessionInput, done))
    expect(await cb()).toBeUndefined()
    clock.advance('50s')
    await new Promise((done) => store.touch('s1', { cookie: { maxAge: 60_000 } }, done))
    clock.advance('50s')
    const got = await new Promise((done) => store.get('s1', (_e, s) => done(s)))
    expect(got).toEqual({ cookie: { maxAge: 60_000 }, n: 1 })
  })
})

describe.skipIf(!hasRedis)('@fastify/session over real Redis', () => {
  const redis = redisClientFor(prefix)
  const redisCache = () => createCache({ tiers: [redisStore({ client: redis.client, prefix })], strict: true })

  it('survives a restart; logout in one process ends it in the others; ids never stored', async () => {
    const first = await fastifyApp(redisCache())
    const cookie = await login(first.url)
    await first.app.close()
    const a = await fastifyApp(redisCache())
    const b = await fastifyApp(redisCache())
    try {
      expect(await whoami(a.url, cookie)).toBe('ada')
      expect(await whoami(b.url, cookie)).toBe('ada')
      const sid = sidOf(cookie)
      for (const key of await redis.client.keys(`${prefix}*`)) expect(key).not.toContain(sid)
      await fetch(`${a.url}/logout`, { method: 'POST', headers: { cookie } })
      expect(await whoami(b.url, cookie)).toBe(null)
      expect(await whoami(a.url, cookie)).toBe(null)
    } finally {
      await Promise.all([a.app.close(), b.app.close()])
    }
  })
})
