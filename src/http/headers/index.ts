export { type CacheControlOptions, cacheControlValue, IMMUTABLE_ASSET, REVALIDATE } from './cache-control-header.js'
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
