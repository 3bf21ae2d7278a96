/**
 * A minimal Redis tier for the HTTP benchmark (bytes under a key with a PX
 * expiry), so the route cache can be measured over Redis before the full
 * `cachestack/redis` store is available here.
 */
import { Redis } from 'ioredis'
import type { Store } from '../../src/index.js'

export function benchRedisStore(prefix: string): Store & { client: Redis } {
  const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false })
  return {
    client,
    name: 'redis',
    binary: true,
    async get(key) {
      return (await client.getBuffer(prefix + key)) ?? undefined
    },
    async set(key, value, expiresAt) {
      const ttl = Math.max(1, Math.ceil(expiresAt - Date.now()))
      if (Number.isFinite(ttl)) await client.set(prefix + key, Buffer.from(value as Uint8Array), 'PX', ttl)
      else await client.set(prefix + key, Buffer.from(value as Uint8Array))
    },
    async delete(key) {
      return (await client.del(prefix + key)) > 0
    },
    async clear(p = '') {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}${p}*`, 'COUNT', 500)
        cursor = next
        if (keys.length > 0) await client.del(...keys)
      } while (cursor !== '0')
    },
    async close() {
      client.disconnect()
    },
  }
}
