import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CacheControl, parseCacheControl, serializeCacheControl } from '../../../src/http/semantics/index.js'

describe('parseCacheControl', () => {
  it('reads the directives of RFC 9111 §5.2 and RFC 5861', () => {
    expect(
      parseCacheControl(
        'public, max-age=60, s-maxage=120, must-revalidate, proxy-revalidate, no-transform, must-understand, immutable, stale-while-revalidate=30, stale-if-error=86400',
      ),
    ).toEqual({
      public: true,
      maxAge: 60,
      sMaxAge: 120,
      mustRevalidate: true,
      proxyRevalidate: true,
      noTransform: true,
      mustUnderstand: true,
      immutable: true,
      staleWhileRevalidate: 30,
      staleIfError: 86400,
    })
    expect(parseCacheControl('no-cache, no-store, max-stale=10, min-fresh=5, only-if-cached')).toEqual({
      noCache: true,
      noStore: true,
      maxStale: 10,
      minFresh: 5,
      onlyIfCached: true,
    })
    expect(parseCacheControl('max-stale')).toEqual({ maxStale: true })
  })

  it('keeps the extension of RFC 9111 §5.2.3 ("private, community=\\"UCI\\"")', () => {
    expect(parseCacheControl('private, community="UCI"')).toEqual({
      private: true,
      extensions: { community: 'UCI' },
    })
  })

  it('reads qualified no-cache and private field lists, commas inside quotes included (§5.2.2.4, §5.2.2.7)', () => {
    expect(parseCacheControl('no-cache="Set-Cookie, X-Id", max-age=5')).toEqual({
      noCache: ['set-cookie', 'x-id'],
      maxAge: 5,
    })
    expect(parseCacheControl('private="Authorization"')).toEqual({ private: ['authorization'] })
    // the unqualified form is stricter and wins
    expect(parseCacheControl('no-cache="a", no-cache')).toEqual({ noCache: true })
  })

  it('treats names case-insensitively and accepts quoted values (§5.2)', () => {
    expect(parseCacheControl('Max-Age="30", PUBLIC')).toEqual({ maxAge: 30, public: true })
  })

  it('reads an invalid or conflicting freshness directive as stale (§4.2.1, §1.2.2)', () => {
    expect(parseCacheControl('max-age=soon')).toEqual({ maxAge: 0 })
    expect(parseCacheControl('max-age=-1')).toEqual({ maxAge: 0 })
    expect(parseCacheControl('max-age=10, max-age=20')).toEqual({ maxAge: 0 })
    expect(parseCacheControl('max-age=10, max-age=10')).toEqual({ maxAge: 10 })
    expect(parseCacheControl('max-age=99999999999999')).toEqual({ maxAge: 2147483648 })
  })

  it('ignores junk without throwing', () => {
    expect(parseCacheControl(',, ,public,,')).toEqual({ public: true })
    expect(parseCacheControl('')).toEqual({})
    expect(parseCacheControl(undefined)).toEqual({})
    expect(parseCacheControl('=5, "x"')).toEqual({})
  })

  it('never throws on arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const cc = parseCacheControl(s)
        expect(typeof serializeCacheControl(cc)).toBe('string')
      }),
      { numRuns: 500 },
    )
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('max-age', '=', ',', '"', '\\', ' ', 'private', 'no-cache', '1', 'x')),
        (parts) => {
          parseCacheControl(parts.join(''))
        },
      ),
      { numRuns: 500 },
    )
  })
})

const seconds = fc.integer({ min: 0, max: 2147483648 })
const fieldName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/)
const known = new Set([
  'max-age',
  's-maxage',
  'max-stale',
  'min-fresh',
  'no-cache',
  'no-store',
  'no-transform',
  'only-if-cached',
  'must-revalidate',
  'must-understand',
  'proxy-revalidate',
  'public',
  'private',
  'immutable',
  'stale-while-revalidate',
  'stale-if-error',
])
const cacheControl: fc.Arbitrary<CacheControl> = fc.record(
  {
    maxAge: seconds,
    sMaxAge: seconds,
    maxStale: fc.oneof(seconds, fc.constant(true as const)),
    minFresh: seconds,
    noCache: fc.oneof(fc.constant(true as const), fc.uniqueArray(fieldName, { minLength: 1, maxLength: 3 })),
    noStore: fc.constant(true as const),
    noTransform: fc.constant(true as const),
    onlyIfCached: fc.constant(true as const),
    mustRevalidate: fc.constant(true as const),
    mustUnderstand: fc.constant(true as const),
    proxyRevalidate: fc.constant(true as const),
    public: fc.constant(true as const),
    private: fc.oneof(fc.constant(true as const), fc.uniqueArray(fieldName, { minLength: 1, maxLength: 3 })),
    immutable: fc.constant(true as const),
    staleWhileRevalidate: seconds,
    staleIfError: seconds,
    extensions: fc.dictionary(
      fieldName.filter((n) => !known.has(n)),
      fc.oneof(fc.constant(true as const), fc.string()),
      { minKeys: 1, maxKeys: 3 },
    ),
  },
  { requiredKeys: [] },
)

describe('serializeCacheControl', () => {
  it('writes a stable, readable order', () => {
    expect(serializeCacheControl({ immutable: true, maxAge: 31536000, public: true })).toBe(
      'public, max-age=31536000, immutable',
    )
    expect(serializeCacheControl({ private: ['set-cookie'], noCache: true })).toBe('private="set-cookie", no-cache')
    expect(serializeCacheControl({})).toBe('')
  })

  it('round-trips every directive set (property)', () => {
    fc.assert(
      fc.property(cacheControl, (cc) => {
        expect(parseCacheControl(serializeCacheControl(cc))).toEqual(cc)
      }),
      { numRuns: 1000 },
    )
  })
})
