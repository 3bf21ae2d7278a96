/**
 * The project's Redis tier (`redisStore`) on the local Redis, under a unique
 * prefix per call, with a `keys()` helper for assertions and a `close()` that
 * removes what the test wrote.
 */
import { Redis } from 'ioredis'
import { redisStore, type RedisTier as Tier } from '../../../src/redis.js'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export interface RedisTier extends Tier {
  /** Every key this tier holds, without the prefix. */
  keys(): Promise<string[]>
}

export async function redisTier(name = 'redis'): Promise<RedisTier> {
  const prefix = `cs-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`
  const store = redisStore({ url: REDIS_URL, prefix, name })
  const client = store.client as Redis
  const close = store.close!.bind(store)
  return Object.assign(store, {
    async keys() {
      const out: string[] = []
      let cursor = '0'
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
        cursor = next
        out.push(...found.map((k) => k.slice(prefix.length)))
      } while (cursor !== '0')
      return out
    },
    async close() {
      await store.clear()
      await close()
    },
  })
}

/** Whether Redis answers at REDIS_URL (tests skip without it, or fail under CI=true). */
export async function redisAvailable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
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
