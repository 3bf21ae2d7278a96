// logEvents with a real pino logger writing JSON lines, over a memory cache and
// over a Redis tier that is killed for real (tier errors, circuit open/closed).
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { CacheError, createCache, memoryStore } from '../../src/index.js'
import { logEvents } from '../../src/log.js'
import { redisStore } from '../../src/redis.js'
import { missingServers, startRedis } from '../helpers/servers.js'

interface Line {
  level: number
  msg: string
  [field: string]: unknown
}

function capture(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l) as Line)
      done()
    },
  })
  return { logger: pino({ level: 'debug' }, sink), lines }
}

const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 }
const flush = () => new Promise((r) => setImmediate(r))

describe('logEvents with pino', () => {
  it('logs stale serves (warn), failed loads (error), slow loads and invalidations (info)', async () => {
    const { logger, lines } = capture()
    const cache = createCache({ tiers: [memoryStore()], ttl: 1, grace: '1h' })
    logEvents(cache, logger, { slowLoad: 0 })
    await cache.getOrSet('k', () => 'v1', { tags: ['t'] })
    await new Promise((r) => setTimeout(r, 5))
    expect(
      await cache.getOrSet('k', () => {
        throw new Error('db down')
      }),
    ).toBe('v1')
    await expect(
      cache.getOrSet('other', () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    await cache.invalidateTags(['t'])
    await flush()
    const by = (msg: string) => lines.filter((l) => l.msg === msg)
    expect(by('cache slow load')[0]).toMatchObject({ level: LEVEL.info, key: 'k' })
    expect(by('cache served stale')[0]).toMatchObject({ level: LEVEL.warn, key: 'k', reason: 'error' })
    expect(by('cache served stale')[0]?.err).toMatchObject({ message: 'db down' })
    expect(by('cache load failed').map((l) => [l.level, l.key])).toContainEqual([LEVEL.error, 'other'])
    expect(by('cache invalidated')[0]).toMatchObject({ level: LEVEL.info, tags: ['t'] })
    expect(by('cache hit')).toEqual([]) // reads only with { reads: true }
    await cache.close()
  })

  it('logs reads at debug only when asked, and stops when told', async () => {
    const { logger, lines } = capture()
    const cache = createCache({ tiers: [memoryStore()] })
    const stop = logEvents(cache, logger, { reads: true })
    await cache.get('nope')
    await cache.set('a', 1)
    await cache.get('a')
    await flush()
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [LEVEL.debug, 'cache miss'],
      [LEVEL.debug, 'cache set'],
      [LEVEL.debug, 'cache hit'],
    ])
    stop()
    await cache.get('a')
    await flush()
    expect(lines).toHaveLength(3)
    await cache.close()
  })

  it('refuses what is not a logger', () => {
    const cache = createCache({ tiers: [memoryStore()] })
    expect(() => logEvents(cache, { warn() {} } as never)).toThrow(CacheError)
  })

  const missing = missingServers('redis')
  describe.skipIf(missing !== undefined)('over a Redis that dies', () => {
    const closers: (() => Promise<unknown>)[] = []
    afterAll(async () => {
      for (const c of closers) await c().catch(() => {})
    })

    it('logs tier failures (warn) and the circuit opening (error), then closing (info)', async () => {
      const redis = await startRedis()
      const { logger, lines } = capture()
      const cache = createCache({
        tiers: [memoryStore(), redisStore({ url: redis.url, timeout: 200, breaker: { failures: 2, cooldown: 100 } })],
      })
      closers.push(
        () => cache.close(),
        () => redis.stop(),
      )
      logEvents(cache, logger)
      await cache.set('x', 1)
      await redis.kill()
      for (let i = 0; i < 5; i++) await cache.get(`miss-${i}`)
      await flush()
      expect(lines.some((l) => l.msg === 'cache tier failed' && l.level === LEVEL.warn && l.tier === 'redis')).toBe(
        true,
      )
      expect(lines.filter((l) => l.msg === 'cache circuit open')).toEqual([
        expect.objectContaining({ level: LEVEL.error, tier: 'redis' }),
      ])
      await redis.restart()
      let closed = false
      for (let i = 0; i < 100 && !closed; i++) {
        await new Promise((r) => setTimeout(r, 100))
        await cache.get(`after-${i}`)
        await flush()
        closed = lines.some((l) => l.msg === 'cache circuit closed')
      }
      expect(lines.find((l) => l.msg === 'cache circuit closed')).toMatchObject({ level: LEVEL.info, tier: 'redis' })
    }, 30_000)
  })
})
