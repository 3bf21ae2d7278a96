export { type CachedFetchOptions, cachedFetch } from './cached-fetch.js'
