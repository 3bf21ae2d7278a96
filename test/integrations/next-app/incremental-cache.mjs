import { nextIncrementalCache } from 'cachestack/next'
import { cache } from './cache.mjs'

export default nextIncrementalCache(cache)
