/**
 * A byte tier over a real Redis (ioredis), for the ops tests: the Redis store of
 * `cachestack/redis` lives on another branch; this one is enough to put a real
 * second tier behind the memory tier. Every key is under a unique prefix.
 */
import { Redis } from 'ioredis'
import { type Clock, type Store, type StoreSize, systemClock } from '../../../src/index.js'

export interface RedisTier extends Store<Uint8Array> {
  readonly redis: Redis
  readonly prefix: string
  /** Every key this tier holds, without the prefix. */
  keys(): Promise<string[]>
}

export async function redisTier(name = 'redis'): Promise<RedisTier> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  const prefix = `cs-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`
  const scan = async (match: string): Promise<string[]> => {
    const out: string[] = []
    let cursor = '0'
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500)
      cursor = next
      out.push(...found)
    } while (cursor !== '0')
    return out
  }
  let clock: Clock = systemClock
  const tier: RedisTier = {
    name,
    binary: true,
    init(ctx) {
      clock = ctx.clock
    },
    redis,
    prefix,
    async get(key) {
      const buf = await redis.getBuffer(prefix + key)
      return buf === null ? undefined : new Uint8Array(buf)
    },
    async set(key, value, expiresAt) {
      if (expiresAt === Number.POSITIVE_INFINITY) await redis.set(prefix + key, Buffer.from(value))
      else await redis.set(prefix + key, Buffer.from(value), 'PX', Math.max(1, Math.ceil(expiresAt - clock.now())))
    },
    async delete(key) {
      return (await redis.del(prefix + key)) > 0
    },
    async clear(p = '') {
      const keys = await scan(`${prefix}${p}*`)
      if (keys.length > 0) await redis.del(...keys)
    },
    async size(): Promise<StoreSize> {
      const keys = await scan(`${prefix}*`)
      let bytes = 0
      for (const k of keys) bytes += await redis.strlen(k)
      return { entries: keys.length, bytes }
    },
    async keys() {
      return (await scan(`${prefix}*`)).map((k) => k.slice(prefix.length))
    },
    async close() {
      await tier.clear()
      redis.disconnect()
    },
  }
  return tier
}

/** Whether Redis answers at 127.0.0.1:6379 (tests skip without it, or fail under CI=true). */
export async function redisAvailable(): Promise<boolean> {
  const redis = new Redis({
    host: '127.0.0.1',
    port: 6379,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  try {
    await redis.connect()
    await redis.ping()
    return true
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}
