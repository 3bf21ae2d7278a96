/**
 * Shared pieces of the property tests: how many cases to run (a modest
 * number in `npm test`, 100,000 in `npm run test:faults`), and arbitraries
 * for the text an attacker sends.
 * @module
 */
import fc from 'fast-check'

/** Cases per property: `CACHESTACK_PROPERTY_RUNS`, else 200 (`npm run test:faults` sets 100,000). */
export const RUNS = Number(process.env.CACHESTACK_PROPERTY_RUNS ?? 200)

/** True under `npm run test:faults`: the slow checks (linear time) run too. */
export const FAULTS = process.env.CACHESTACK_FAULTS === '1'

/** Names a plain object inherits, in several cases: the prototype-lookup bugs' triggers. */
export const INHERITED_NAMES = [
  'constructor',
  'Constructor',
  '__proto__',
  'toString',
  'tostring',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  'prototype',
]

/** A piece of header syntax, an inherited name, or random text. */
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(',', ';', '=', '"', '\\', ' ', '\t', '*', 'W/', ':', '-', '.', '1', '0') },
  { weight: 2, arbitrary: fc.constantFrom(...INHERITED_NAMES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'max-age',
      's-maxage',
      'no-cache',
      'private',
      'public',
      'hit',
      'ttl',
      'fwd',
      'key',
      'ms',
      'kb',
      'GMT',
      'Sun, 06 Nov 1994 08:49:37',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
)

/** Text shaped like a header value (or a duration, a tag, a key): pieces of syntax joined. */
export const hostileText = fc.array(piece, { maxLength: 24 }).map((p) => p.join(''))

/** A header or option name: an inherited name, a real one, or random. */
export const hostileName = fc.oneof(
  fc.constantFrom(...INHERITED_NAMES),
  fc.constantFrom('vary', 'cache-control', 'host', 'accept', 'x-api-key', 'surrogate-key'),
  fc.string({ minLength: 1, maxLength: 12 }),
)

/** A record of header fields as node gives them, keyed by hostile names (own properties, even `__proto__`). */
export const hostileRecord = fc
  .array(fc.tuple(hostileName, fc.oneof(hostileText, fc.array(hostileText, { maxLength: 3 }))), { maxLength: 6 })
  .map((pairs) => {
    const out = Object.create(null) as Record<string, string | string[]>
    for (const [k, v] of pairs) out[k.toLowerCase()] = v
    return out
  })

/** Asserts `value` holds no function anywhere (an inherited method leaking out of a lookup). */
export function noFunctions(value: unknown, seen = new Set<unknown>()): boolean {
  if (typeof value === 'function') return false
  if (value === null || typeof value !== 'object' || seen.has(value)) return true
  seen.add(value)
  for (const k of Object.keys(value)) if (!noFunctions((value as Record<string, unknown>)[k], seen)) return false
  return true
}

/** Asserts no number in `value` is NaN. */
export function noNaN(value: unknown, seen = new Set<unknown>()): boolean {
  if (typeof value === 'number') return !Number.isNaN(value)
  if (value === null || typeof value !== 'object' || seen.has(value)) return true
  seen.add(value)
  for (const k of Object.keys(value)) if (!noNaN((value as Record<string, unknown>)[k], seen)) return false
  return true
}
