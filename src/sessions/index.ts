export {
  type CacheSessionMethods,
  type ExpressSessionModule,
  expressSessionStore,
} from './express-session-store.js'
export { type FastifySessionStore, fastifySessionStore } from './fastify-session-store.js'
export type { SessionData, SessionInput, SessionStoreOptions } from './session-cache.js'
