/**
 * One process of the cross-process stampede benchmark (bench/tiers.ts):
 * `tsx stampede-child.ts <library> <redis url> <run id> <start at ms>`. Waits
 * until the start time the parent chose so that sibling processes start together, fires 100 concurrent
 * getOrSet of one key, and counts loader runs in Redis under `<run id>:runs`.
 */
import KeyvRedis from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { Cacheable, createKeyv, Keyv } from 'cacheable'
import { Redis } from 'ioredis'
import { createCache, memoryStore } from '../../src/index.js'
import { redisBus, redisStore } from '../../src/redis.js'

const [lib, url, id, startAtText] = process.argv.slice(2) as [string, string, string, string]
const { hostname: host, port: portText } = new URL(url)
const port = Number(portText || 6379)
const counter = new Redis(url)
const loader = async () => {
  await counter.incr(`${id}:runs`)
  await new Promise((r) => setTimeout(r, 100))
  return 'v'
}
const key = `${id}:key`

let getOrSet: () => Promise<unknown>
let close: () => Promise<unknown>
if (lib.startsWith('cachestack')) {
  const cache = createCache({
    tiers: [memoryStore(), redisStore({ url, prefix: `${id}:cs:` })],
    bus: redisBus({ url, channel: `${id}:bus` }),
  })
  const lock = lib.includes('lock')
  getOrSet = () => cache.getOrSet(key, loader, lock ? { lock: '5s' } : undefined)
  close = () => cache.close()
} else if (lib === 'BentoCache') {
  const bento = new BentoCache({
    default: 'two',
    stores: {
      two: bentostore()
        .useL1Layer(memoryDriver({}))
        .useL2Layer(redisDriver({ connection: { host, port }, prefix: `${id}:bento` }))
        .useBus(redisBusDriver({ connection: { host, port } })),
    },
  })
  getOrSet = () => bento.getOrSet({ key, factory: loader })
  close = () => bento.disconnect()
} else if (lib === 'cache-manager') {
  const manager = createCacheManager({
    stores: [createKeyv(), new Keyv({ store: new KeyvRedis(url), namespace: `${id}:cm` })],
  })
  getOrSet = () => manager.wrap(key, loader)
  close = () => manager.disconnect()
} else {
  const cacheable = new Cacheable({ primary: createKeyv(), secondary: new KeyvRedis(url), namespace: `${id}:ca` })
  getOrSet = () => cacheable.getOrSet(key, loader)
  close = () => cacheable.disconnect()
}

// Every sibling starts at the same wall-clock moment the parent chose, after all have loaded.
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAtText) - Date.now())))
await Promise.all(Array.from({ length: 100 }, () => getOrSet()))
await close()
counter.disconnect()
process.exit(0)
