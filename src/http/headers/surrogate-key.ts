/**
 * How a cachestack tag is written as a CDN purge key, the same way in the
 * `Surrogate-Key` / `Cache-Tag` response headers and in the purge hooks, so a
 * purge always names the key the CDN indexed.
 * @module
 */

/**
 * What a key may hold as it is: printable ASCII (Fastly ignores any other key:
 * 0x21–0x7E), except the list separators (space in `Surrogate-Key`, comma in
 * `Cache-Tag`) and `%`, the escape character, so the encoding is one-to-one.
 */
const PLAIN = /^[!-$&-+\--~]+$/

/**
 * The CDN purge key for a tag: the tag itself when it is printable ASCII
 * without space, comma or `%`, else the tag with each other character
 * percent-encoded (its UTF-8 bytes, as `encodeURIComponent` writes them). A
 * tag holding a line break, a space or non-ASCII text (one built from a
 * decoded query value, say) would otherwise make the header invalid (the
 * response would fail) or be split into several keys by the CDN. The
 * encoding is one-to-one, so two tags never share a key.
 *
 * Use it in your own purge hook so the keys you purge are the ones sent;
 * {@link fastlyPurge} and {@link cloudflarePurge} do. Tags in cachestack
 * itself are never encoded: `cache.invalidateTags` takes them as they are.
 *
 * @param tag - a route tag, as given to `tags`
 * @returns the key as sent in `Surrogate-Key` and `Cache-Tag`; `''` for an empty tag (left out of the headers)
 * @example
 * ```ts
 * surrogateKey('products')          // 'products'
 * surrogateKey('search:red shoes')  // 'search:red%20shoes'
 * surrogateKey('q:a\nb')            // 'q:a%0Ab'
 * ```
 */
export function surrogateKey(tag: string): string {
  const s = String(tag)
  if (s === '' || PLAIN.test(s)) return s
  let out = ''
  for (const ch of s) {
    if (PLAIN.test(ch)) out += ch
    else {
      // A lone surrogate has no UTF-8 form: U+FFFD, as TextEncoder would write it.
      const cp = ch.codePointAt(0)!
      out += encodeURIComponent(cp >= 0xd800 && cp <= 0xdfff ? '\uFFFD' : ch)
    }
  }
  return out
}

/** The distinct, non-empty purge keys of `tags`, in order. */
export function surrogateKeyList(tags: readonly string[]): string[] {
  const keys = new Set<string>()
  for (const t of tags) {
    const k = surrogateKey(t)
    if (k !== '') keys.add(k)
  }
  return [...keys]
}
