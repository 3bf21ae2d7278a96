/**
 * Tests the built package as users import it: by name, through the exports
 * map, as ESM and as CommonJS. `npm test` builds first.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

describe('the built package', () => {
  it('imports as ESM by its name and works', async () => {
    const mod = await import('cachestack')
    const cache = mod.createCache({ ttl: '1m' })
    expect(await cache.getOrSet('k', () => 1)).toBe(1)
    expect(mod.ERROR_CODES.ERR_CACHE_KEY).toBeTypeOf('string')
  })

  it('requires as CommonJS by its name and works', async () => {
    const require = createRequire(import.meta.url)
    const mod = require('cachestack') as typeof import('cachestack')
    const cache = mod.createCache()
    await cache.set('k', new Map([[1, 2]]))
    expect(await cache.get('k')).toEqual(new Map([[1, 2]]))
    expect(require.resolve('cachestack')).toMatch(/dist\/cjs\/index\.js$/)
  })

  it('cachestack/sqlite loads as ESM and CommonJS', async () => {
    const esm = await import('cachestack/sqlite')
    const cjs = createRequire(import.meta.url)('cachestack/sqlite') as typeof esm
    expect(esm.sqliteStore).toBeTypeOf('function')
    expect(cjs.sqliteStore).toBeTypeOf('function')
  })

  it('cachestack/keyv loads as ESM and CommonJS', async () => {
    const esm = await import('cachestack/keyv')
    const cjs = createRequire(import.meta.url)('cachestack/keyv') as typeof esm
    expect(esm.keyvOptions).toBeTypeOf('function')
    expect(cjs.keyvStore).toBeTypeOf('function')
  })
})
