import { randomUUID } from 'node:crypto'
import { cacheLife, cacheTag } from 'next/cache'

/** A value made once per name until the tag `items` (or `item:<name>`) is revalidated. */
export async function stamp(name) {
  'use cache: remote'
  cacheTag('items', `item:${name}`)
  cacheLife({ stale: 60, revalidate: 3600, expire: 86400 })
  return { name, id: randomUUID(), at: Date.now() }
}
