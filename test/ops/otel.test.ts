import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, createCache, manualClock, memoryStore } from '../../src/index.js'
import { instrumentCache } from '../../src/otel.js'
import { AsyncLocalContextManager, MemoryMeterProvider, MemoryTracerProvider } from './helpers/otel-sdk.js'
import { REDIS_URL, redisAvailable, redisTier } from './helpers/redis-tier.js'

const hasRedis = await redisAvailable()
if (!hasRedis && process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is unreachable (CI=true)`)
if (!hasRedis) console.warn(`otel.test: Redis at ${REDIS_URL} is unreachable; skipping the Redis cases`)

describe('cachestack/otel', () => {
  const caches: Cache[] = []
  afterAll(async () => {
    for (const c of caches) await c.close()
  })

  it('is a no-op without an SDK: the cache works and nothing throws', async () => {
    expect(trace.getTracer('x').startSpan('s').isRecording()).toBe(false)
    const cache = createCache()
    const handle = instrumentCache(cache)
    expect(await cache.getOrSet('k', () => 1)).toBe(1)
    await expect(cache.getOrSet('bad', () => Promise.reject(new Error('x')))).rejects.toThrow('x')
    handle.uninstrument()
  })

  describe('with an SDK registered', () => {
    const tracing = new MemoryTracerProvider()
    const meters = new MemoryMeterProvider()
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalContextManager())
      trace.setGlobalTracerProvider(tracing)
      metrics.setGlobalMeterProvider(meters)
    })

    it('records a load span with its real duration, as a child of the request span', async () => {
      const clock = manualClock()
      const cache = createCache({ clock })
      caches.push(cache)
      instrumentCache(cache, { name: 'api' })
      const tracer = trace.getTracer('app')
      await tracer.startActiveSpan('GET /users/1', async (request) => {
        await cache.namespace('users').getOrSet('1', async () => {
          clock.advance(25)
          return { name: 'Ada' }
        })
        request.end()
      })
      const load = tracing.spans.find(
        (s) => s.name === 'cachestack.load' && s.attributes['cachestack.cache'] === 'api',
      )!
      const request = tracing.spans.find((s) => s.name === 'GET /users/1')!
      expect(load).toBeDefined()
      expect(load.parentSpanId).toBe(request.spanId)
      expect(load.traceId).toBe(request.traceId)
      expect(load.end - load.start).toBe(25)
      expect(load.kind).toBe(SpanKind.INTERNAL)
      expect(load.attributes).toEqual({ 'cachestack.cache': 'api', 'cachestack.namespace': 'users' })
      expect(load.status.code).toBe(SpanStatusCode.UNSET)
      // A hit makes no span.
      const before = tracing.spans.length
      await cache.namespace('users').getOrSet('1', () => ({ name: 'other' }))
      expect(tracing.spans.length).toBe(before)
    })

    it('marks a failed load as an error, and records keys only when asked', async () => {
      const cache = createCache()
      caches.push(cache)
      instrumentCache(cache, { name: 'keys', recordKeys: true })
      await expect(
        cache.getOrSet('user:9', () => {
          throw new TypeError('db down')
        }),
      ).rejects.toThrow('db down')
      const span = tracing.spans.filter((s) => s.attributes['cachestack.cache'] === 'keys').at(-1)!
      expect(span.name).toBe('cachestack.load')
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'db down' })
      expect(span.attributes['error.type']).toBe('TypeError')
      expect(span.attributes['cachestack.key']).toBe('user:9')
    })

    it.skipIf(!hasRedis)('traces Redis tier calls as CLIENT spans with database attributes', async () => {
      const cache = createCache({ tiers: [memoryStore(), await redisTier('redis')] })
      caches.push(cache)
      const handle = instrumentCache(cache, { name: 'tiers' })
      await cache.getOrSet('k', () => 'v')
      const spans = tracing.spans.filter((s) => s.attributes['cachestack.cache'] === 'tiers')
      expect(spans.map((s) => s.name).sort()).toEqual([
        'cachestack.load',
        'cachestack.memory set',
        'cachestack.redis get',
        'cachestack.redis set',
      ])
      const get = spans.find((s) => s.name === 'cachestack.redis get')!
      expect(get.kind).toBe(SpanKind.CLIENT)
      expect(get.attributes).toMatchObject({
        'db.system.name': 'redis',
        'db.operation.name': 'get',
        'cachestack.tier': 'redis',
      })
      expect(get.end).toBeGreaterThanOrEqual(get.start)
      handle.uninstrument()
      await cache.delete('k')
      expect(tracing.spans.filter((s) => s.attributes['cachestack.cache'] === 'tiers')).toHaveLength(4)
    })

    it('reports hits by tier, misses and the hit ratio as observable metrics, and load latency', async () => {
      const clock = manualClock()
      const cache = createCache({ clock })
      caches.push(cache)
      const handle = instrumentCache(cache, { name: 'm' })
      const ns = cache.namespace('p')
      await ns.getOrSet('a', () => {
        clock.advance(40)
        return 1
      })
      await ns.getOrSet('a', () => 1)
      await ns.getOrSet('a', () => 1)
      const points = (await meters.collect()).filter((p) => p.attributes['cachestack.cache'] === 'm')
      const value = (metric: string, attrs: Record<string, string>) =>
        points.find((p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value
      expect(value('cachestack.hits', { 'cachestack.namespace': 'p', 'cachestack.tier': 'memory' })).toBe(2)
      expect(value('cachestack.misses', { 'cachestack.namespace': 'p' })).toBe(1)
      expect(value('cachestack.loads', { 'cachestack.namespace': 'p' })).toBe(1)
      expect(value('cachestack.hit_ratio', { 'cachestack.namespace': 'p' })).toBeCloseTo(2 / 3)
      expect(
        meters.recorded.filter(
          (p) => p.metric === 'cachestack.load.duration' && p.attributes['cachestack.cache'] === 'm',
        ),
      ).toEqual([
        {
          metric: 'cachestack.load.duration',
          value: 0.04,
          attributes: { 'cachestack.cache': 'm', 'cachestack.namespace': 'p' },
        },
      ])
      handle.uninstrument()
      const after = (await meters.collect()).filter((p) => p.attributes['cachestack.cache'] === 'm')
      expect(after).toEqual([])
    })
  })
})
