import { describe, expect, it } from 'vitest'
import {
  currentAge,
  freshnessLifetime,
  parseCacheControl,
  parseHttpDate,
  reuse,
  staleIfErrorAllows,
} from '../../../src/http/semantics/index.js'

const cc = parseCacheControl

describe('parseHttpDate (RFC 9110 §5.6.7)', () => {
  it('reads the three formats of the RFC example as the same instant', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37)
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(t)
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2020, 0, 1))).toBe(t)
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(t) // asctime is UTC, not local time
  })
  it('rejects what is not an HTTP-date', () => {
    expect(parseHttpDate('0')).toBeUndefined()
    expect(parseHttpDate('tomorrow')).toBeUndefined()
    expect(parseHttpDate('2024-01-01T00:00:00Z')).toBeUndefined()
  })
})

describe('freshnessLifetime (RFC 9111 §4.2.1)', () => {
  const date = parseHttpDate('Thu, 01 Dec 1994 15:00:00 GMT')!
  it('prefers s-maxage in a shared cache, then max-age, then Expires − Date', () => {
    const res = { status: 200, cacheControl: cc('max-age=60, s-maxage=600'), date }
    expect(freshnessLifetime(res, { shared: true }).seconds).toBe(600)
    expect(freshnessLifetime(res, { shared: false }).seconds).toBe(60)
    // §5.3 example: Expires: Thu, 01 Dec 1994 16:00:00 GMT
    const expires = parseHttpDate('Thu, 01 Dec 1994 16:00:00 GMT')!
    expect(freshnessLifetime({ status: 200, cacheControl: {}, date, expires }).seconds).toBe(3600)
    // max-age overrides Expires
    expect(freshnessLifetime({ status: 200, cacheControl: cc('max-age=5'), date, expires }).seconds).toBe(5)
  })
  it('reads an invalid Expires ("0") as already expired (§5.3)', () => {
    expect(freshnessLifetime({ status: 200, cacheControl: {}, date, expires: null })).toEqual({
      seconds: 0,
      heuristic: false,
    })
  })
  it('uses a heuristic only for heuristically cacheable statuses or public (§4.2.2)', () => {
    const lastModified = date - 10 * 86400_000
    expect(freshnessLifetime({ status: 200, cacheControl: {}, date, lastModified })).toEqual({
      seconds: 86400,
      heuristic: true,
    })
    expect(freshnessLifetime({ status: 302, cacheControl: {}, date, lastModified }).seconds).toBe(0)
    expect(freshnessLifetime({ status: 302, cacheControl: cc('public'), date, lastModified }).seconds).toBe(86400)
    expect(
      freshnessLifetime({ status: 200, cacheControl: {}, date, lastModified }, { heuristicFraction: 0 }).seconds,
    ).toBe(0)
  })
})

describe('currentAge (RFC 9111 §4.2.3)', () => {
  it('adds resident time to the corrected initial age', () => {
    const t0 = 1_000_000
    // Age 10 from upstream, 2 s response delay, 5 s resident
    expect(currentAge({ ageValue: 10, date: t0, requestTime: t0, responseTime: t0 + 2000 }, t0 + 7000)).toBe(17)
  })
  it('uses the apparent age when the Date is older than Age says', () => {
    const t0 = 1_000_000
    expect(currentAge({ ageValue: 0, date: t0 - 60_000, requestTime: t0, responseTime: t0 }, t0)).toBe(60)
  })
  it('never goes negative when the origin clock runs ahead', () => {
    const t0 = 1_000_000
    expect(currentAge({ ageValue: 0, date: t0 + 60_000, requestTime: t0, responseTime: t0 }, t0)).toBe(0)
  })
})

describe('reuse (RFC 9111 §4.2, §4.2.4, §5.2; RFC 5861)', () => {
  it('serves fresh responses, even with must-revalidate (it only applies once stale)', () => {
    expect(reuse(60, 10, cc('max-age=60, must-revalidate'), {})).toBe('fresh')
  })
  it('revalidates on no-cache, request max-age and min-fresh', () => {
    expect(reuse(60, 10, cc('no-cache'), {})).toBe('revalidate')
    expect(reuse(60, 10, {}, cc('no-cache'))).toBe('revalidate')
    expect(reuse(60, 10, {}, cc('max-age=5'))).toBe('revalidate')
    expect(reuse(60, 10, {}, cc('min-fresh=55'))).toBe('revalidate')
    expect(reuse(60, 10, {}, cc('min-fresh=50'))).toBe('fresh')
  })
  it('serves stale within max-stale or stale-while-revalidate, unless a directive forbids it', () => {
    expect(reuse(60, 70, cc('max-age=60'), cc('max-stale=15'))).toBe('stale-acceptable')
    expect(reuse(60, 70, cc('max-age=60'), cc('max-stale'))).toBe('stale-acceptable')
    expect(reuse(60, 70, cc('max-age=60, stale-while-revalidate=30'), {})).toBe('stale-while-revalidate')
    expect(reuse(60, 100, cc('max-age=60, stale-while-revalidate=30'), {})).toBe('revalidate')
    expect(reuse(60, 70, cc('max-age=60, must-revalidate, stale-while-revalidate=30'), {})).toBe('revalidate')
    expect(reuse(60, 70, cc('s-maxage=60, stale-while-revalidate=30'), {}, { shared: true })).toBe('revalidate')
    expect(reuse(60, 70, cc('max-age=60, proxy-revalidate'), cc('max-stale'), { shared: false })).toBe(
      'stale-acceptable',
    )
  })
  it('allows stale-if-error within its window (RFC 5861 §4)', () => {
    expect(staleIfErrorAllows(60, 100, cc('max-age=60, stale-if-error=60'), {})).toBe(true)
    expect(staleIfErrorAllows(60, 200, cc('max-age=60, stale-if-error=60'), {})).toBe(false)
    expect(staleIfErrorAllows(60, 100, cc('max-age=60, stale-if-error=60, must-revalidate'), {})).toBe(false)
    expect(staleIfErrorAllows(60, 100, cc('max-age=60'), cc('stale-if-error=300'))).toBe(true)
  })
})
