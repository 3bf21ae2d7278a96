/**
 * Request header fields that frameworks and apps commonly read to build URLs,
 * pick a scheme or override the method, but that a cache key usually
 * ignores: the classic cache-poisoning inputs (James Kettle, "Practical Web
 * Cache Poisoning", 2018). The route cache removes them from a request whose
 * response it may store, unless the route lists them in `vary` (keying them):
 * a header is either in the key or out of the handler's sight.
 * @module
 */

/**
 * Request fields that make an app answer another URL or method than the one in
 * the request line (used by the route cache and the proxy).
 * @internal
 */
export const OVERRIDE_HEADERS: readonly string[] = [
  'x-original-url',
  'x-rewrite-url',
  'x-original-host',
  'x-original-method',
  'x-host',
  'x-http-host-override',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]

/**
 * Request fields through which a client names the host, scheme, port or path
 * prefix it used (used by the route cache and the proxy).
 * @internal
 */
export const FORWARDED_HEADERS: readonly string[] = [
  'forwarded',
  'x-forwarded-host',
  'x-forwarded-server',
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-ssl',
  'x-url-scheme',
  'front-end-https',
]

/** Headers removed from requests whose responses may be stored, unless keyed with `vary`. */
export const UNKEYED_HEADERS: readonly string[] = [...FORWARDED_HEADERS, ...OVERRIDE_HEADERS]
