import { describe, expect, it } from 'vitest'
import {
  formatCacheStatus,
  ifNoneMatchMatches,
  isNotModified,
  notStorableReason,
  parseCacheControl,
  parseCacheStatus,
  parseETag,
  parseVary,
  type StorableInput,
  secondaryKey,
  strongMatch,
  varyMatches,
  weakMatch,
} from '../../../src/http/semantics/index.js'

describe('entity-tags (RFC 9110 §8.8.3.2 comparison table)', () => {
  const rows: [string, string, boolean, boolean][] = [
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
  ]
  for (const [a, b, strong, weak] of rows) {
    it(`${a} vs ${b}: strong ${strong}, weak ${weak}`, () => {
      expect(strongMatch(parseETag(a)!, parseETag(b)!)).toBe(strong)
      expect(weakMatch(parseETag(a)!, parseETag(b)!)).toBe(weak)
    })
  }
  it('rejects malformed tags', () => {
    expect(parseETag('abc')).toBeUndefined()
    expect(parseETag('W/abc')).toBeUndefined()
  })
})

describe('conditional requests (RFC 9110 §13.1.2, §13.1.3, §13.2.2)', () => {
  it('matches If-None-Match weakly, lists and * included (the RFC examples)', () => {
    expect(ifNoneMatchMatches('"xyzzy"', '"xyzzy"')).toBe(true)
    expect(ifNoneMatchMatches('W/"xyzzy"', '"xyzzy"')).toBe(true)
    expect(ifNoneMatchMatches('"xyzzy", "r2d2xxxx", "c3piozzzz"', '"c3piozzzz"')).toBe(true)
    expect(ifNoneMatchMatches('W/"xyzzy", W/"r2d2xxxx", W/"c3piozzzz"', 'W/"r2d2xxxx"')).toBe(true)
    expect(ifNoneMatchMatches('*', '"anything"')).toBe(true)
    expect(ifNoneMatchMatches('"a,b"', '"a,b"')).toBe(true)
    expect(ifNoneMatchMatches('"a"', '"b"')).toBe(false)
  })
  it('answers 304 for If-Modified-Since only without If-None-Match', () => {
    const v = { etag: '"v1"', lastModified: 'Sat, 29 Oct 1994 19:43:31 GMT' }
    expect(isNotModified('GET', { 'if-modified-since': 'Sat, 29 Oct 1994 19:43:31 GMT' }, v)).toBe(true)
    expect(isNotModified('GET', { 'if-modified-since': 'Sat, 29 Oct 1994 19:43:30 GMT' }, v)).toBe(false)
    expect(
      isNotModified('GET', { 'if-none-match': '"v2"', 'if-modified-since': 'Sat, 29 Oct 1994 19:43:31 GMT' }, v),
    ).toBe(false)
    expect(isNotModified('POST', { 'if-none-match': '"v1"' }, v)).toBe(false)
    expect(isNotModified('GET', new Headers({ 'if-none-match': '"v1"' }), v)).toBe(true)
  })
})

describe('Vary (RFC 9111 §4.1)', () => {
  it('normalizes names and detects *', () => {
    expect(parseVary('Accept-Encoding, accept-language, Accept-Encoding')).toEqual([
      'accept-encoding',
      'accept-language',
    ])
    expect(parseVary('Accept, *')).toBe('*')
    expect(parseVary(undefined)).toEqual([])
  })
  it('builds secondary keys that tell requests apart, and normalizes whitespace', () => {
    const vary = parseVary('Accept-Language') as string[]
    const fr = secondaryKey(vary, { 'accept-language': 'fr' })
    expect(secondaryKey(vary, { 'accept-language': 'en' })).not.toBe(fr)
    expect(secondaryKey(vary, {})).not.toBe(secondaryKey(vary, { 'accept-language': '' }))
    expect(
      varyMatches(vary, secondaryKey(vary, { 'accept-language': 'fr,  en' }), { 'accept-language': 'fr, en' }),
    ).toBe(true)
    expect(varyMatches('*', '', {})).toBe(false)
    // a value cannot forge another field's part of the key
    const two = ['a', 'b']
    expect(secondaryKey(two, { a: 'x\nb=y' })).not.toBe(secondaryKey(two, { a: 'x', b: 'y' }))
  })
})

describe('storability (RFC 9111 §3, §3.5)', () => {
  const base: StorableInput = {
    method: 'GET',
    requestCacheControl: {},
    authorization: false,
    status: 200,
    cacheControl: parseCacheControl('max-age=60'),
    hasExpires: false,
    vary: [],
  }
  it('stores an ordinary GET 200', () => {
    expect(notStorableReason(base, true)).toBeUndefined()
  })
  it('refuses what the RFC forbids', () => {
    expect(notStorableReason({ ...base, method: 'POST' }, true)).toBe('method')
    expect(notStorableReason({ ...base, status: 206 }, true)).toBe('status')
    expect(notStorableReason({ ...base, status: 500 }, true)).toBe('status')
    expect(notStorableReason({ ...base, cacheControl: parseCacheControl('no-store') }, true)).toBe('no-store')
    expect(notStorableReason({ ...base, requestCacheControl: parseCacheControl('no-store') }, true)).toBe('no-store')
    expect(notStorableReason({ ...base, vary: '*' }, true)).toBe('vary-star')
  })
  it('keeps private responses out of shared caches only', () => {
    const priv = { ...base, cacheControl: parseCacheControl('private, max-age=60') }
    expect(notStorableReason(priv, true)).toBe('private')
    expect(notStorableReason(priv, false)).toBeUndefined()
  })
  it('stores an authenticated response in a shared cache only with public, s-maxage or must-revalidate', () => {
    const auth = { ...base, authorization: true }
    expect(notStorableReason(auth, true)).toBe('authorization')
    expect(notStorableReason({ ...auth, cacheControl: parseCacheControl('public, max-age=60') }, true)).toBeUndefined()
    expect(notStorableReason({ ...auth, cacheControl: parseCacheControl('s-maxage=60') }, true)).toBeUndefined()
    expect(notStorableReason(auth, false)).toBeUndefined()
  })
  it('needs explicit freshness or a heuristically cacheable status', () => {
    expect(notStorableReason({ ...base, status: 302, cacheControl: {} }, true)).toBe('no-freshness')
    expect(notStorableReason({ ...base, status: 302, cacheControl: {}, hasExpires: true }, true)).toBeUndefined()
    expect(notStorableReason({ ...base, cacheControl: {} }, true)).toBeUndefined()
  })
})

describe('Cache-Status (RFC 9211)', () => {
  it('formats and parses the RFC examples', () => {
    expect(formatCacheStatus({ cache: 'ExampleCache', hit: true, ttl: 376 })).toBe('ExampleCache; hit; ttl=376')
    expect(formatCacheStatus({ cache: 'ExampleCache', fwd: 'uri-miss', stored: true })).toBe(
      'ExampleCache; fwd=uri-miss; stored',
    )
    expect(formatCacheStatus({ cache: 'my cache', key: 'GET "x"' })).toBe('"my cache"; key="GET \\"x\\""')
    expect(parseCacheStatus('OriginCache; hit; ttl=1100, "CDN Company Here"; hit; ttl=545')).toEqual([
      { cache: 'OriginCache', hit: true, ttl: 1100 },
      { cache: 'CDN Company Here', hit: true, ttl: 545 },
    ])
    expect(parseCacheStatus('ExampleCache; fwd=vary-miss; fwd-status=200; stored; collapsed')).toEqual([
      { cache: 'ExampleCache', fwd: 'vary-miss', fwdStatus: 200, stored: true, collapsed: true },
    ])
  })
})
