/**
 * Durations and sizes as users write them: numbers (milliseconds, bytes) or
 * short strings ('250ms', '5m', '64kb'). Parsed once, when options are read.
 * @module
 */
import { CacheError, describe } from './errors.js'
import { lookupTable } from './own.js'

/** A duration: milliseconds, or a string such as `'250ms'`, `'5s'`, `'5m'`, `'1h'`, `'1d'`, `'1w'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}` | (string & {})

/** A size: bytes, or a string such as `'512b'`, `'64kb'`, `'256mb'`, `'1gb'` (powers of 1024). */
export type Size = number | `${number}${'b' | 'kb' | 'mb' | 'gb'}` | (string & {})

const DURATION_UNITS = lookupTable({
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
})
const SIZE_UNITS = lookupTable({ b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 })
const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i

/**
 * Parses a {@link Duration} into milliseconds. `Infinity` is accepted and means "never".
 *
 * @param input - the duration
 * @param option - the option's name, for the error message (default `'ttl'`)
 * @throws CacheError `ERR_CACHE_INVALID_TTL` for negative, NaN or unparsable input
 * @example parseDuration('5m') // 300000
 */
export function parseDuration(input: Duration, option = 'ttl'): number {
  if (typeof input === 'number') {
    if (input >= 0 && (Number.isFinite(input) || input === Number.POSITIVE_INFINITY)) return input
  } else if (typeof input === 'string') {
    const match = PATTERN.exec(input)
    if (match) {
      const unit = (match[2] ?? '').toLowerCase()
      const factor = unit === '' ? 1 : DURATION_UNITS.get(unit)
      if (factor !== undefined) return Number(match[1]) * factor
    }
  }
  throw new CacheError(
    'ERR_CACHE_INVALID_TTL',
    `Option "${option}" must be a duration: milliseconds (a number ≥ 0) or a string like "250ms", "5s", "5m", "1h", "1d"; got ${describe(input)}.`,
  )
}

/**
 * Parses a {@link Size} into bytes.
 *
 * @param input - the size
 * @param option - the option's name, for the error message
 * @throws CacheError `ERR_CACHE_INVALID_SIZE` for negative, NaN or unparsable input
 * @example parseSize('64kb') // 65536
 */
export function parseSize(input: Size, option = 'maxBytes'): number {
  if (typeof input === 'number') {
    if (input >= 0 && (Number.isFinite(input) || input === Number.POSITIVE_INFINITY)) return Math.floor(input)
  } else if (typeof input === 'string') {
    const match = PATTERN.exec(input)
    if (match) {
      const unit = (match[2] ?? '').toLowerCase()
      const factor = unit === '' ? 1 : SIZE_UNITS.get(unit)
      if (factor !== undefined) return Math.floor(Number(match[1]) * factor)
    }
  }
  throw new CacheError(
    'ERR_CACHE_INVALID_SIZE',
    `Option "${option}" must be a size: bytes (a number ≥ 0) or a string like "64kb", "256mb", "1gb"; got ${describe(input)}.`,
  )
}
