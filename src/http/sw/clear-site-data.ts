/**
 * The logout header, in a form the service worker can read.
 * @module
 */
import { invalidOption } from '../../core/errors.js'

const TYPES = new Set([
  'cache',
  'cookies',
  'storage',
  'executionContexts',
  'clientHints',
  'prefetchCache',
  'prerenderCache',
  '*',
])

/**
 * The header fields that clear what the browser keeps for the site, for a
 * logout response: `Clear-Site-Data` (the browser clears its HTTP cache, and
 * more for other types), and a copy named `Cachestack-Clear-Site-Data`.
 *
 * The copy is needed because Chromium acts on `Clear-Site-Data` in its
 * network layer and removes it from the response a service worker sees, and
 * its `"cache"` does not reach Cache Storage; the cachestack worker reads the
 * copy and deletes its own caches before the page gets the response. Send it
 * on a 200 response (a page, or the answer to a `fetch()`): a worker cannot
 * read the headers of a redirect. After a redirecting logout, post
 * `{ type: 'cachestack:clear' }` to the worker from the page instead.
 *
 * @param types - the types to clear @defaultValue ['cache']
 * @see https://www.w3.org/TR/clear-site-data/
 * @example
 * ```ts
 * app.post('/logout', (req, res) => {
 *   res.set(Object.fromEntries(clearSiteData(['cache', 'cookies']))).send('Signed out')
 * })
 * ```
 */
export function clearSiteData(types: readonly string[] = ['cache']): [string, string][] {
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => TYPES.has(t))) {
    throw invalidOption('types', `a non-empty array of ${[...TYPES].map((t) => `"${t}"`).join(', ')}`, types)
  }
  const value = types.map((t) => `"${t}"`).join(', ')
  return [
    ['clear-site-data', value],
    ['cachestack-clear-site-data', value],
  ]
}
