export { RedisStore, type RedisStoreOptions, redisStore, type SentinelAddress } from './redis-store.js'
