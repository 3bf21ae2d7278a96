export { RedisStore, type RedisStoreOptions, type RedisTier, redisStore, type SentinelAddress } from './redis-store.js'
