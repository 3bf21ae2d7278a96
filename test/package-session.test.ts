/**
 * cachestack/session and cachestack/ratelimit as users import them: by name,
 * through the exports map, as ESM and as CommonJS. `npm test` builds first.
 */
import { createRequire } from 'node:module'
import session from 'express-session'
import { describe, expect, it } from 'vitest'

describe('the built session and ratelimit entries', () => {
  it('cachestack/session loads as ESM and CommonJS and makes a working store', async () => {
    const esm = await import('cachestack/session')
    const cjs = createRequire(import.meta.url)('cachestack/session') as typeof esm
    expect(cjs.fastifySessionStore).toBeTypeOf('function')
    const { createCache, memoryStore } = await import('cachestack')
    const store = esm.expressSessionStore(session, { cache: createCache({ tiers: [memoryStore()] }) })
    await new Promise<void>((done) => store.set('sid', { cookie: { maxAge: 60_000 } }, () => done()))
    expect(await new Promise((done) => store.get('sid', (_e, s) => done(s)))).toEqual({ cookie: { maxAge: 60_000 } })
  })

  it('cachestack/ratelimit loads as ESM and CommonJS and limits', async () => {
    const esm = await import('cachestack/ratelimit')
    const cjs = createRequire(import.meta.url)('cachestack/ratelimit') as typeof esm
    const limiter = cjs.rateLimit({ limit: 1, window: '1m' })
    expect((await limiter.consume('a')).allowed).toBe(true)
    expect((await limiter.consume('a')).allowed).toBe(false)
    expect(esm.expressRateLimit).toBeTypeOf('function')
  })
})
