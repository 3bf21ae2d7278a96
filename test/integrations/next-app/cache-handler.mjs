import { nextCacheHandler } from 'cachestack/next'
import { cache } from './cache.mjs'

export default nextCacheHandler(cache)
