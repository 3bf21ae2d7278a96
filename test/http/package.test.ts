/**
 * The HTTP entries as users import them from the built package (`npm test`
 * builds first): by name, ESM and CommonJS.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

describe('the built HTTP entries', () => {
  it('import as ESM', async () => {
    const http = await import('cachestack/http')
    expect(http.parseCacheControl('max-age=5')).toEqual({ maxAge: 5 })
    expect(typeof http.cachedFetch).toBe('function')
    expect(typeof (await import('cachestack/express')).cached).toBe('function')
    expect(typeof (await import('cachestack/fastify')).fastifyCache).toBe('function')
    expect(typeof (await import('cachestack/hono')).cached).toBe('function')
  })

  it('require as CommonJS', () => {
    const require = createRequire(import.meta.url)
    const http = require('cachestack/http') as typeof import('cachestack/http')
    expect(http.serializeCacheControl({ public: true, maxAge: 60 })).toBe('public, max-age=60')
    expect(require.resolve('cachestack/express')).toMatch(/dist\/cjs\/express\.js$/)
    expect(typeof (require('cachestack/hono') as typeof import('cachestack/hono')).cached).toBe('function')
  })
})
