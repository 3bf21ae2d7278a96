/**
 * Purge hooks for Akamai Fast Purge, CloudFront and cachestack's own reverse
 * proxy, beside `fastlyPurge` and `cloudflarePurge`: each a function of the
 * tags, for `createCache({ purge })` or `invalidateHttp`.
 * @module
 */
import type { PurgeHook } from '../../core/options.js'
import {
  type AwsCredentials,
  type EdgeGridCredentials,
  edgeGridAuthorization,
  sigV4Headers,
} from './request-signing.js'
import { surrogateKeyList } from './surrogate-key.js'
import { batchesOf, check, type FetchLike } from './surrogate-keys.js'

/** Akamai Fast Purge takes request bodies of at most 50,000 bytes; tags are sent in batches under it. */
export const AKAMAI_MAX_BODY = 50_000
/** CloudFront accepts at most 3,000 paths per invalidation. */
export const CLOUDFRONT_PATHS_PER_INVALIDATION = 3000

const defaultFetch = () => globalThis.fetch as unknown as FetchLike

/** Consecutive batches of `items` whose JSON `{"objects":[…]}` body stays under `max` bytes. */
function bodyBatches(items: readonly string[], max: number): string[][] {
  const out: string[][] = []
  let batch: string[] = []
  let size = 14
  for (const item of items) {
    const len = Buffer.byteLength(JSON.stringify(item)) + 1
    if (batch.length > 0 && size + len > max) {
      out.push(batch)
      batch = []
      size = 14
    }
    batch.push(item)
    size += len
  }
  if (batch.length > 0) out.push(batch)
  return out
}

/**
 * A purge hook for Akamai Fast Purge (v3): by cache tag, with the `urls`
 * method by URL. `soft: true` invalidates (Akamai keeps serving the object
 * until the origin has a newer one, and when the origin is down), else it
 * deletes. Requests are signed with EdgeGrid.
 *
 * @param options - the API client's credentials and `host` (`akab-….luna.akamaiapis.net`), the `network` (default `production`), `soft`, and optionally `fetch` and `baseUrl`
 * @see https://techdocs.akamai.com/purge-cache/reference/api
 */
export function akamaiPurge(
  options: EdgeGridCredentials & {
    host: string
    network?: 'production' | 'staging'
    soft?: boolean
    fetch?: FetchLike
    baseUrl?: string
    /** The clock of the signature's timestamp. @defaultValue `Date.now` */
    now?: () => number
  },
): PurgeHook & { urls(urls: readonly string[]): Promise<void> } {
  const f = options.fetch ?? defaultFetch()
  const base = options.baseUrl ?? `https://${options.host}`
  const op = options.soft === true ? 'invalidate' : 'delete'
  const network = options.network ?? 'production'
  const send = async (kind: 'tag' | 'url', items: readonly string[]) => {
    const url = new URL(`${base}/ccu/v3/${op}/${kind}/${network}`)
    const batches = bodyBatches(items, AKAMAI_MAX_BODY)
    for (let i = 0; i < batches.length; i++) {
      const body = JSON.stringify({ objects: batches[i] })
      const authorization = edgeGridAuthorization(options, 'POST', url, body, new Date((options.now ?? Date.now)()))
      const headers = { authorization, 'content-type': 'application/json', accept: 'application/json' }
      await check(await f(url.href, { method: 'POST', headers, body }), 'Akamai', i, batches.length)
    }
  }
  const hook = async function akamaiPurgeHook(tags: readonly string[]) {
    await send('tag', surrogateKeyList(tags))
  }
  return Object.assign(hook, { urls: (urls: readonly string[]) => send('url', urls) })
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * A purge hook for CloudFront, which has no tags: `paths` maps the tags to
 * the invalidation paths (`/products/7`, `/products/*`), and the `paths`
 * method invalidates paths directly. CloudFront has no soft purge. Requests
 * are signed with AWS Signature Version 4.
 *
 * @param options - the distribution id, AWS credentials, `paths` (tags to paths), and optionally `fetch` and `baseUrl`
 * @see https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html
 * @example
 * ```ts
 * cloudfrontPurge({ distributionId, credentials, paths: (tags) => tags.map((t) => `/${t.replace(':', '/')}`) })
 * ```
 */
export function cloudfrontPurge(options: {
  distributionId: string
  credentials: AwsCredentials
  paths: (tags: readonly string[]) => readonly string[]
  fetch?: FetchLike
  baseUrl?: string
  now?: () => number
}): PurgeHook & { paths(paths: readonly string[]): Promise<void> } {
  const f = options.fetch ?? defaultFetch()
  const base = options.baseUrl ?? 'https://cloudfront.amazonaws.com'
  const url = new URL(`${base}/2020-05-31/distribution/${encodeURIComponent(options.distributionId)}/invalidation`)
  const invalidate = async (paths: readonly string[]) => {
    const batches = batchesOf([...new Set(paths)], CLOUDFRONT_PATHS_PER_INVALIDATION)
    for (let i = 0; i < batches.length; i++) {
      const items = batches[i]!.map((p) => `<Path>${xml(p)}</Path>`).join('')
      const ref = `cachestack-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>${batches[i]!.length}</Quantity><Items>${items}</Items></Paths><CallerReference>${ref}</CallerReference></InvalidationBatch>`
      const headers = { 'content-type': 'application/xml' }
      const signed = sigV4Headers(
        options.credentials,
        'us-east-1',
        'cloudfront',
        'POST',
        url,
        headers,
        body,
        new Date((options.now ?? Date.now)()),
      )
      await check(
        await f(url.href, { method: 'POST', headers: { ...headers, ...signed }, body }),
        'CloudFront',
        i,
        batches.length,
      )
    }
  }
  const hook = async function cloudfrontPurgeHook(tags: readonly string[]) {
    const paths = options.paths(tags)
    if (paths.length > 0) await invalidate(paths)
  }
  return Object.assign(hook, { paths: invalidate })
}

/**
 * A purge hook for cachestack's reverse proxy (`createProxy` / `cachestack
 * proxy`) running elsewhere: posts the tags, encoded as the `Surrogate-Key`
 * headers carry them, as `keys` to its purge endpoint.
 *
 * @param options - the endpoint URL (`http://proxy:8080/.cachestack/purge`), its admin token, and optionally `fetch`
 */
export function proxyPurge(options: { url: string; token: string; fetch?: FetchLike }): PurgeHook {
  const f = options.fetch ?? defaultFetch()
  return async function proxyPurgeHook(tags) {
    const keys = surrogateKeyList(tags)
    if (keys.length === 0) return
    const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' }
    await check(await f(options.url, { method: 'POST', headers, body: JSON.stringify({ keys }) }), 'Proxy', 0, 1)
  }
}
