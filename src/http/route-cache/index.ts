export { fitKey, pathOf, pathTag, sortedUrl } from './key.js'
export type { CachedOptions } from './options.js'
export {
  type Bypass,
  type Captured,
  type Leader,
  type Outcome,
  RouteCache,
  SERVED,
  type Sender,
  type Served,
  type StaleAnswer,
} from './route-cache.js'
export { isVaryIndex, type StoredResponse, type VaryIndex } from './stored-response.js'
export { UNKEYED_HEADERS } from './unkeyed.js'
