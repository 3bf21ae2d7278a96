/**
 * Parsers fed what an attacker or a typo sends: names an object inherits as
 * units, values in the megabytes. Each case here failed before the fix:
 * `'5constructor'` parsed to NaN, and `parseCacheStatus` was quadratic (a
 * 1 MB value would take minutes; here it must finish within the test's time).
 */
import { describe, expect, it } from 'vitest'
import { parseCacheControl, parseCacheStatus, parseHttpDate } from '../../src/http.js'
import { CacheError, createCache, memoryStore, parseDuration, parseSize } from '../../src/index.js'

const INHERITED = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__']

describe('durations and sizes with a unit an object inherits', () => {
  for (const unit of INHERITED) {
    it(`'5${unit}' is refused with a CacheError, never NaN`, () => {
      expect(() => parseDuration(`5${unit}`)).toThrow(CacheError)
      expect(() => parseDuration(`5${unit}`)).toThrow(expect.objectContaining({ code: 'ERR_CACHE_INVALID_TTL' }))
      expect(() => parseSize(`1${unit}`)).toThrow(expect.objectContaining({ code: 'ERR_CACHE_INVALID_SIZE' }))
    })
  }

  it("ttl: '5constructor' and maxBytes: '1constructor' fail when the cache is made", () => {
    expect(() => createCache({ tiers: [memoryStore()], ttl: '5constructor' })).toThrow(CacheError)
    expect(() => memoryStore({ maxBytes: '1constructor' })).toThrow(CacheError)
  })

  it('a month or directive an object inherits is not a month or a directive', () => {
    expect(parseHttpDate('Sun, 06 Constructor 1994 08:49:37 GMT')).toBeUndefined()
    const cc = parseCacheControl('constructor, __proto__=5, tostring=1, max-age=7')
    expect(cc.maxAge).toBe(7)
    expect(Object.hasOwn(cc.extensions!, '__proto__')).toBe(true)
    expect(cc.extensions!.__proto__).toBe('5')
    for (const v of Object.values(cc)) expect(typeof v).not.toBe('function')
  })
})

describe('Cache-Status parsing is linear', () => {
  const MB = 1024 * 1024
  for (const [name, value] of [
    ['commas', ','.repeat(MB)],
    ['semicolons', ';'.repeat(MB)],
    ['quote and comma', '",'.repeat(MB / 2)],
    ['members', 'a; hit; ttl=1, '.repeat(MB / 16)],
  ] as const) {
    it(`1 MB of ${name} parses (quadratic parsing would take minutes)`, () => {
      const entries = parseCacheStatus(value)
      expect(Array.isArray(entries)).toBe(true)
    })
  }

  it('still reads quoted names and parameters; ttl and fwd-status are integers or absent, never NaN', () => {
    expect(parseCacheStatus('Origin; hit; ttl=10, "a,b;c"; key="x;y,z"; detail=ok, x; ttl=abc; fwd-status=')).toEqual([
      { cache: 'Origin', hit: true, ttl: 10 },
      { cache: 'a,b;c', key: 'x;y,z', detail: 'ok' },
      { cache: 'x' },
    ])
  })
})
