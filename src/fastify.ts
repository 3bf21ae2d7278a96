/**
 * cachestack for Fastify 5: a plugin that caches the responses of routes that
 * opt in with `config.cache`, a `Cache-Control` hook, and fingerprinted assets.
 *
 * @example
 * ```ts
 * import { fastifyCache } from 'cachestack/fastify'
 *
 * await app.register(fastifyCache, { cache, ttl: '60s' })
 * app.get('/products', { config: { cache: { tags: ['products'] } } }, async () => listProducts())
 * ```
 * @module
 */
export {
  type CachedOptions,
  cacheControl,
  type FastifyCacheOptions,
  type FastifyRouteCacheOptions,
  fastifyAssets,
  fastifyCache,
} from './http/middleware/fastify/index.js'
