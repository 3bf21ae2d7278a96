export { type CacheControlOptions, cacheControlValue, IMMUTABLE_ASSET, REVALIDATE } from './cache-control-header.js'
export {
  AKAMAI_MAX_BODY,
  akamaiPurge,
  CLOUDFRONT_PATHS_PER_INVALIDATION,
  cloudfrontPurge,
  proxyPurge,
} from './cdn-purge.js'
export { type EdgeCacheOptions, type EdgeTarget, edgeCacheHeaders } from './edge-cache-control.js'
export type { AwsCredentials, EdgeGridCredentials } from './request-signing.js'
export { surrogateKey } from './surrogate-key.js'
export {
  CLOUDFLARE_TAGS_PER_PURGE,
  cloudflarePurge,
  FASTLY_KEYS_PER_PURGE,
  fastlyPurge,
  type HttpInvalidation,
  invalidateHttp,
  type PurgeHook,
} from './surrogate-keys.js'
