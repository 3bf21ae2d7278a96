/**
 * `Vary` (RFC 9111 §4.1): which request header fields select among stored
 * responses for one URL, and the secondary key built from them.
 * @module
 */
import { getHeader, type HeadersLike } from './headers.js'

/**
 * The field names a `Vary` value lists, lower-cased, de-duplicated and sorted
 * (so `Vary: Accept, accept-encoding` and `Vary: Accept-Encoding, Accept`
 * yield one key). `'*'` when the value contains `*`: such a response never
 * matches a later request (§4.1) and is not worth storing.
 */
export function parseVary(value: string | null | undefined): string[] | '*' {
  if (typeof value !== 'string' || value.trim() === '') return []
  const names = new Set<string>()
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase()
    if (name === '*') return '*'
    if (name !== '') names.add(name)
  }
  return [...names].sort()
}

/**
 * Normalizes a request field value for matching (§4.1 allows "normalizing
 * both header values in a way that is known to have identical semantics"):
 * list members are trimmed and whitespace runs collapsed. An absent field is
 * distinct from an empty one.
 */
export function normalizeFieldValue(value: string | undefined): string {
  if (value === undefined) return '\u0000'
  return value
    .split(',')
    .map((s) => s.trim().replace(/\s+/g, ' '))
    .join(',')
}

/**
 * The secondary key of a request for the given `Vary` field names: each
 * name's normalized value, in order, separated so no two different requests
 * collide. Two requests select the same stored response exactly when their
 * secondary keys are equal.
 *
 * @example
 * ```ts
 * secondaryKey(['accept-language'], req.headers) // 'accept-language=fr'
 * ```
 */
export function secondaryKey(fields: readonly string[], headers: HeadersLike): string {
  let key = ''
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]!
    const v = normalizeFieldValue(getHeader(headers, name))
    key += `${i === 0 ? '' : '\n'}${name}=${encodeURIComponent(v)}`
  }
  return key
}

/**
 * Whether a stored response's request (its secondary key) matches a new
 * request (§4.1). `Vary: *` never matches.
 */
export function varyMatches(vary: readonly string[] | '*', storedKey: string, headers: HeadersLike): boolean {
  if (vary === '*') return false
  return secondaryKey(vary, headers) === storedKey
}
