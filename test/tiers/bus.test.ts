import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { type Cache, createCache, memoryStore } from '../../src/index.js'
import { redisBus } from '../../src/redis.js'
import { REDIS_URL, redisAvailable } from '../helpers/redis.js'

const hasRedis = await redisAvailable()

const opened: Cache[] = []
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()))
})

/** Two caches with their own L1 and bus connections, as two processes would have. */
async function pair(): Promise<[Cache, Cache]> {
  const channel = `cs-test-bus-${randomUUID()}`
  const make = () => createCache({ tiers: [memoryStore()], bus: redisBus({ url: REDIS_URL, channel }) })
  const a = make()
  const b = make()
  opened.push(a, b)
  // Subscribing is asynchronous: wait until each hears the other.
  await until(async () => {
    await a.set('__ready', 1)
    await b.set('__ready', 1)
    return (a.stats().bus?.received ?? 0) > 0 && (b.stats().bus?.received ?? 0) > 0
  })
  return [a, b]
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe.skipIf(!hasRedis)('redisBus', () => {
  it('a set in one process drops the key from the other process L1', async () => {
    const [a, b] = await pair()
    await a.set('user:1', 'seen by A')
    await b.set('user:1', 'old')
    // Without a shared tier behind the L1s, let B's message arrive before A writes.
    await until(() => a.tiers[0]!.get('user:1') === undefined)
    await a.set('user:1', 'new')
    await until(() => b.tiers[0]!.get('user:1') === undefined)
    expect(await b.get('user:1')).toBeUndefined()
    expect(await a.get('user:1')).toBe('new')
  })

  it('delete, deleteMany and setMany reach the other L1', async () => {
    const [a, b] = await pair()
    await b.setMany([
      ['k1', 1],
      ['k2', 2],
      ['k3', 3],
      ['k4', 4],
    ])
    await a.delete('k1')
    await a.deleteMany(['k2'])
    await a.setMany([['k3', 30]])
    await until(async () => (await b.get('k3')) === undefined)
    expect(await b.getMany(['k1', 'k2', 'k3', 'k4'])).toEqual([undefined, undefined, undefined, 4])
  })

  it('invalidateTags in one process makes tagged entries stale in the other', async () => {
    const [a, b] = await pair()
    await b.set('p:1', 'price', { tags: ['products'] })
    await b.set('other', 'kept')
    await a.invalidateTags(['products'])
    await until(async () => (await b.get('p:1')) === undefined)
    expect(await b.get('other')).toBe('kept')
  })

  it('a namespace clear reaches only that namespace in the other process', async () => {
    const [a, b] = await pair()
    await b.namespace('users').set('1', 'ann')
    await b.namespace('posts').set('1', 'hello')
    await a.namespace('users').clear()
    await until(async () => (await b.namespace('users').get('1')) === undefined)
    expect(await b.namespace('posts').get('1')).toBe('hello')
  })

  it('ignores its own messages and batches one tick of changes into one message', async () => {
    const [a, b] = await pair()
    const before = a.stats().bus!.published
    const receivedBefore = b.stats().bus!.received
    await Promise.all(Array.from({ length: 50 }, (_, i) => a.set(`batch:${i}`, i)))
    expect(a.stats().bus!.published - before).toBe(1)
    await until(() => b.stats().bus!.received > receivedBefore)
    expect(b.stats().bus!.received - receivedBefore).toBe(1)
  })

  it('drops the local tier after its connection comes back (resync)', async () => {
    const channel = `cs-test-bus-${randomUUID()}`
    const admin = new Redis(REDIS_URL)
    const name = `cs-bus-${randomUUID()}`
    const bus = redisBus({ url: REDIS_URL, channel, redis: { connectionName: name } })
    const cache = createCache({ tiers: [memoryStore()], bus })
    opened.push(cache)
    await until(async () => {
      await cache.set('warm', 1)
      return cache.stats().bus!.published > 0
    })
    // Name the subscriber connection so that the test can cut it for real.
    // Subscribing may still be under way on a loaded machine: wait for the connection to show it.
    let sub: string | undefined
    await until(async () => {
      const clients = (await admin.client('LIST')) as string
      sub = clients.split('\n').find((line) => line.includes(`name=${name} `) && line.includes('sub=1'))
      return sub !== undefined
    }, 10_000)
    expect(sub).toBeDefined()
    const id = /id=(\d+)/.exec(sub!)![1]!
    await cache.set('kept-before-cut', 'v')
    await admin.client('KILL', 'ID', id)
    await until(() => cache.stats().bus!.resyncs === 1, 5000)
    expect(cache.tiers[0]!.get('kept-before-cut')).toBeUndefined()
    admin.disconnect()
  })
})
