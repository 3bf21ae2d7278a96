/**
 * Lookups by a name that came from outside (a header, a directive, a unit, a
 * flag, a tag): a plain object inherits `constructor`, `toString` and
 * `__proto__` from `Object.prototype`, so `record[name]` answers a function
 * for names nobody stored. These read only what was stored.
 * @module
 */

/**
 * The value stored under `key` in `record` itself, never one inherited from
 * its prototype (`ownValue(req.headers, 'constructor')` is `undefined`).
 *
 * @example
 * ```ts
 * ownValue(req.headers, name) // what the client sent, or undefined
 * ```
 */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}

/**
 * A lookup table with no prototype, from literal entries: `table.get(name)`
 * answers only the names listed. Use it for units, directives and other
 * fixed vocabularies read with names from outside.
 */
export function lookupTable<V>(entries: Readonly<Record<string, V>>): ReadonlyMap<string, V> {
  return new Map(Object.entries(entries))
}
