export { type CacheControlOptions, cacheControlValue, IMMUTABLE_ASSET, REVALIDATE } from './cache-control-header.js'
export {
  cloudflarePurge,
  fastlyPurge,
  type HttpInvalidation,
  invalidateHttp,
  type PurgeHook,
} from './surrogate-keys.js'
