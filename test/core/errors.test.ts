import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as api from '../../src/index.js'
import {
  CacheError,
  createCache,
  defaultSerializer,
  ERROR_CODES,
  isCacheError,
  memoryStore,
  parseDuration,
  parseSize,
} from '../../src/index.js'

const codeOf = async (fn: () => unknown) => {
  try {
    await fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CacheError)
    return (err as CacheError).code
  }
  throw new Error('expected a CacheError')
}

describe('every error code is thrown where its problem is', () => {
  it('ERR_CACHE_INVALID_TTL: negative, NaN, unparsable durations, at creation and per call', async () => {
    expect(await codeOf(() => createCache({ ttl: -1 }))).toBe('ERR_CACHE_INVALID_TTL')
    expect(await codeOf(() => createCache({ grace: Number.NaN }))).toBe('ERR_CACHE_INVALID_TTL')
    expect(await codeOf(() => createCache({ ttl: '5 parsecs' }))).toBe('ERR_CACHE_INVALID_TTL')
    const cache = createCache()
    expect(await codeOf(() => cache.set('k', 1, { ttl: 'soon' }))).toBe('ERR_CACHE_INVALID_TTL')
    expect(await codeOf(() => cache.getOrSet('k', () => 1, { ttl: -5 }))).toBe('ERR_CACHE_INVALID_TTL')
    expect(() => createCache({ ttl: 'abc' })).toThrow(/Option "ttl" must be a duration.*got "abc"/)
  })

  it('ERR_CACHE_INVALID_SIZE', async () => {
    expect(await codeOf(() => memoryStore({ maxBytes: '12 bananas' }))).toBe('ERR_CACHE_INVALID_SIZE')
    expect(await codeOf(() => parseSize(-1))).toBe('ERR_CACHE_INVALID_SIZE')
  })

  it('ERR_CACHE_KEY: empty, not a string, too long; the message names the limit', async () => {
    const cache = createCache({ maxKeyLength: 10 })
    expect(await codeOf(() => cache.get(''))).toBe('ERR_CACHE_KEY')
    expect(await codeOf(() => cache.get(42 as unknown as string))).toBe('ERR_CACHE_KEY')
    expect(await codeOf(() => cache.set('x'.repeat(11), 1))).toBe('ERR_CACHE_KEY')
    expect(await codeOf(() => cache.getOrSet('x'.repeat(11), () => 1))).toBe('ERR_CACHE_KEY')
    await expect(cache.get('x'.repeat(11))).rejects.toThrow(/maximum is 10/)
  })

  it('ERR_CACHE_SERIALIZE: functions, symbols, cycles', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const bad of [() => 1, Symbol('s'), cyclic, { deep: [{ fn() {} }] }]) {
      expect(await codeOf(() => defaultSerializer.serialize(bad))).toBe('ERR_CACHE_SERIALIZE')
    }
    await expect(Promise.resolve().then(() => defaultSerializer.serialize({ a: [1, { f: () => 1 }] }))).rejects.toThrow(
      /value\.a\[1\]\.f/,
    )
  })

  it('ERR_CACHE_DESERIALIZE', async () => {
    expect(await codeOf(() => defaultSerializer.deserialize(new Uint8Array([0xff, 0xfe])))).toBe(
      'ERR_CACHE_DESERIALIZE',
    )
  })

  it('ERR_CACHE_INVALID_OPTION: names the option', async () => {
    expect(await codeOf(() => createCache({ tiers: [] }))).toBe('ERR_CACHE_INVALID_OPTION')
    expect(await codeOf(() => createCache({ tll: 5 } as never))).toBe('ERR_CACHE_INVALID_OPTION')
    expect(await codeOf(() => createCache({ earlyRefresh: { ratio: 2 } }))).toBe('ERR_CACHE_INVALID_OPTION')
    expect(await codeOf(() => memoryStore({ maxEntries: 0 }))).toBe('ERR_CACHE_INVALID_OPTION')
    expect(() => createCache({ tll: 5 } as never)).toThrow(/Unknown option "tll"/)
    expect(() => memoryStore({ maxEntries: -3 })).toThrow(/"maxEntries"/)
    const cache = createCache()
    expect(await codeOf(() => cache.invalidateTags(['ok', ''] as string[]))).toBe('ERR_CACHE_INVALID_OPTION')
    expect(await codeOf(() => cache.getOrSet('k', 'not a function' as never))).toBe('ERR_CACHE_INVALID_OPTION')
  })

  it('ERR_CACHE_CLOSED', async () => {
    const cache = createCache()
    await cache.close()
    expect(await codeOf(() => cache.set('k', 1))).toBe('ERR_CACHE_CLOSED')
  })

  it('isCacheError narrows by code', () => {
    const err = new CacheError('ERR_CACHE_KEY', 'x')
    expect(isCacheError(err)).toBe(true)
    expect(isCacheError(err, 'ERR_CACHE_KEY')).toBe(true)
    expect(isCacheError(err, 'ERR_CACHE_TIMEOUT')).toBe(false)
    expect(isCacheError(new Error('x'))).toBe(false)
  })
})

describe('the error registry, the docs and the exports agree', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  const documented = [...doc.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1])

  it('docs/errors.md has one row per code, in the registry order, with a how-to-fix column', () => {
    expect(documented).toEqual(Object.keys(ERROR_CODES))
    for (const [code, fix] of Object.entries(ERROR_CODES)) {
      expect(doc).toContain(`| \`${code}\` |`)
      expect(doc).toContain(fix)
    }
  })

  it('the registry and the class are exported', () => {
    expect(api.ERROR_CODES).toBe(ERROR_CODES)
    expect(api.CacheError).toBe(CacheError)
  })
})

describe('durations and sizes', () => {
  it('parses the documented forms', () => {
    expect(parseDuration(250)).toBe(250)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('5s')).toBe(5000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('1d')).toBe(86_400_000)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY)
    expect(parseSize('64kb')).toBe(65_536)
    expect(parseSize('256mb')).toBe(268_435_456)
    expect(parseSize('1gb')).toBe(1_073_741_824)
    expect(parseSize(100)).toBe(100)
  })

  it('names the option in the message', () => {
    expect(() => parseDuration('-5m', 'grace')).toThrow(/"grace"/)
    expect(() => parseDuration('5 minutes')).toThrow(/"ttl".*"5 minutes"/)
  })
})
