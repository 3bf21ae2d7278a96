import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeEnvelope, defaultSerializer, type Envelope, encodeEnvelope, toJsonSafe } from '../../src/index.js'

const roundTrip = (v: unknown) => defaultSerializer.deserialize(defaultSerializer.serialize(v))

describe('defaultSerializer', () => {
  it('round-trips what JSON cannot', () => {
    const value = {
      date: new Date('2026-01-02T03:04:05.678Z'),
      invalidDate: new Date(Number.NaN),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, { nested: new Set([1n]) }],
      ]),
      set: new Set(['x', undefined]),
      big: 12345678901234567890n,
      bytes: new Uint8Array([0, 1, 255]),
      buf: Buffer.from('héllo'),
      undef: undefined,
      arr: [undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0],
      re: /a+b/gi,
      tagKey: { '\u0000': 'looks like a tag' },
    }
    const back = roundTrip(value) as typeof value
    expect(back).toEqual(value)
    expect(Object.is(back.arr[4], -0)).toBe(true)
    expect('undef' in back).toBe(true)
    expect(Buffer.isBuffer(back.buf)).toBe(true)
    expect(Buffer.isBuffer(back.bytes)).toBe(false)
    expect(back.bytes).toBeInstanceOf(Uint8Array)
    expect(Number.isNaN(back.invalidDate.getTime())).toBe(true)
  })

  it('round-trips arbitrary JSON-like values and the special scalars (property)', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.bigInt(),
      fc.date(),
    )
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
      ),
    })).node
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toEqual(v)
      }),
      { numRuns: 300 },
    )
  })

  it('plain data and strings that look like the tag marker round-trip', () => {
    const round = (v: unknown) => defaultSerializer.deserialize(defaultSerializer.serialize(v))
    expect(round({ a: [1, 'two', null, true], b: { c: 'd' } })).toEqual({ a: [1, 'two', null, true], b: { c: 'd' } })
    expect(round('\\u0000 is six characters')).toBe('\\u0000 is six characters')
    expect(round({ s: 'nul \u0000 inside', when: new Date(5) })).toEqual({ s: 'nul \u0000 inside', when: new Date(5) })
    expect(round({ '\u0000': 'a user key', v: 1 })).toEqual({ '\u0000': 'a user key', v: 1 })
  })

  it('writes the same bytes for plain data as the tagging path would (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.anything(), (json, any) => {
        for (const v of [json, any, { json, any }]) {
          let expected: string
          try {
            expected = JSON.stringify(toJsonSafe(v))
          } catch {
            expect(() => defaultSerializer.serialize(v)).toThrow()
            continue
          }
          expect(new TextDecoder().decode(defaultSerializer.serialize(v))).toBe(expected)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('shared (non-cyclic) references are fine', () => {
    const shared = { a: 1 }
    expect(roundTrip({ x: shared, y: shared })).toEqual({ x: { a: 1 }, y: { a: 1 } })
  })
})

describe('envelope encoding', () => {
  it('round-trips every field', () => {
    const env: Envelope = {
      value: new Map([['k', 1]]),
      createdAt: 1,
      freshUntil: Number.POSITIVE_INFINITY,
      staleUntil: Number.POSITIVE_INFINITY,
      tags: ['a'],
      tagVersions: [3],
      loadTime: 12,
      key: 'original',
    }
    expect(decodeEnvelope(encodeEnvelope(env, defaultSerializer), defaultSerializer)).toEqual(env)
  })

  it('an entry without end and with plain data needs no tagged values', () => {
    const env: Envelope = {
      value: { id: 1 },
      createdAt: 10,
      freshUntil: Number.POSITIVE_INFINITY,
      staleUntil: Number.POSITIVE_INFINITY,
      tags: undefined,
      tagVersions: undefined,
      loadTime: 0,
    }
    const bytes = encodeEnvelope(env, defaultSerializer)
    expect(new TextDecoder().decode(bytes)).not.toContain('\\u0000')
    expect(decodeEnvelope(bytes, defaultSerializer)).toEqual(env)
  })

  it('refuses bytes that are not an envelope', () => {
    expect(() => decodeEnvelope(defaultSerializer.serialize({ not: 'an envelope' }), defaultSerializer)).toThrow(
      /not a cachestack envelope/,
    )
  })
})
