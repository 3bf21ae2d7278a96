/**
 * Request fields that carry a credential. RFC 9111 §3.5 names only
 * `Authorization`; APIs just as often take a key in a field of their own
 * (`X-Api-Key`), and a shared cache that ignored it would hand one client's
 * answer to every other. cachestack treats each of these as it treats
 * `Authorization`.
 * @module
 */
import { getHeader, type HeadersLike } from './headers.js'

/**
 * Request fields that carry a credential, lower case: a response to a request
 * with any of them is not stored in a shared cache unless it says it may be
 * (`public`, `s-maxage`, `must-revalidate`, as for `Authorization`, RFC 9111
 * §3.5), and the route cache's `private` mode keys on them.
 */
export const CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-access-token',
]

/** Whether the request carries a credential in one of {@link CREDENTIAL_HEADERS}. */
export function hasCredentials(headers: HeadersLike): boolean {
  for (const name of CREDENTIAL_HEADERS) if (getHeader(headers, name) !== undefined) return true
  return false
}

/** The request's credentials, one line per field of {@link CREDENTIAL_HEADERS} (empty ones too), for hashing into a key. */
export function credentialsOf(headers: HeadersLike): string {
  let out = ''
  for (const name of CREDENTIAL_HEADERS) out += `${getHeader(headers, name) ?? ''}\n`
  return out
}
