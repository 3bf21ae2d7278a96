/**
 * The project's Redis tier (`redisStore`) on the local Redis, under a unique
 * prefix per call, with a `keys()` helper for assertions and a `close()` that
 * removes what the test wrote.
 */
import type { Redis } from 'ioredis'
import { redisStore, type RedisTier as Tier } from '../../../src/redis.js'
import { REDIS_URL } from '../../helpers/redis.js'

export { REDIS_URL, redisAvailable } from '../../helpers/redis.js'

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
