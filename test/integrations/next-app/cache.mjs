// One cachestack cache per instance: a memory L1 over the test Redis, with a bus.
import { createCache, memoryStore } from 'cachestack'
import { redisBus, redisStore } from 'cachestack/redis'

const url = process.env.REDIS_URL
const prefix = process.env.CACHE_PREFIX ?? 'next-app:'
export const cache =
  url === undefined
    ? createCache({ tiers: [memoryStore()] })
    : createCache({
        tiers: [memoryStore(), redisStore({ url, prefix })],
        bus: redisBus({ url, channel: `${prefix}bus` }),
        ttl: '1h',
      })
