import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ifNoneMatchMatches,
  isNotModified,
  parseCacheStatus,
  parseETag,
  parseHttpDate,
  parseVary,
  secondaryKey,
} from '../../../src/http/semantics/index.js'

describe('header parsers never throw on arbitrary input (property)', () => {
  const anyHeader = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc
      .array(fc.constantFrom('W/', '"', ',', ' ', '*', ';', '=', 'a', 'GMT', 'Sun, ', '06 Nov 1994', ':'))
      .map((p) => p.join('')),
  )
  it('Vary, ETag, If-None-Match, HTTP-date, Cache-Status', () => {
    fc.assert(
      fc.property(anyHeader, anyHeader, (a, b) => {
        const vary = parseVary(a)
        if (vary !== '*') expect(typeof secondaryKey(vary, { [vary[0] ?? 'x']: b })).toBe('string')
        parseETag(a)
        expect(typeof ifNoneMatchMatches(a, b)).toBe('boolean')
        expect(
          typeof isNotModified('GET', { 'if-none-match': a, 'if-modified-since': b }, { etag: b, lastModified: a }),
        ).toBe('boolean')
        const d = parseHttpDate(a)
        expect(d === undefined || Number.isFinite(d) || Number.isNaN(d)).toBe(true)
        expect(Array.isArray(parseCacheStatus(a))).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
