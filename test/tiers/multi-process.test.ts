/**
 * Three real Node processes share one Redis (L2 and bus), each with its own
 * memory L1: what one writes, the others read after one bus delivery; a
 * locked stampede runs the loader once in all; a Redis outage throws nowhere.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { missingServers, startRedis, type TestServer } from '../helpers/servers.js'
import { CacheProcess, seeded } from './processes.js'

const missing = missingServers('redis')

async function spawnThree(url: string): Promise<CacheProcess[]> {
  const channel = `cs-test-mp-${randomUUID()}`
  const prefix = `cs-test-mp-${randomUUID()}:`
  const procs = ['A', 'B', 'C'].map((n) => new CacheProcess(n))
  await Promise.all(procs.map((p) => p.call('init', url, channel, prefix, `cs-mp-${p.name}-${randomUUID()}`)))
  // Every bus is subscribed once each has heard a message from another.
  for (let i = 0; i < 200; i++) {
    await procs[0]!.call('set', '__ready', i)
    const heard = await Promise.all(procs.slice(1).map((p) => p.call<{ bus: { received: number } }>('stats')))
    if (heard.every((s) => s.bus.received > 0)) break
    await new Promise((r) => setTimeout(r, 10))
  }
  return procs
}

/** A redis-server of the test's own and three cache processes on it, for one describe block. */
function threeOverOwnRedis(): { server: TestServer; procs: CacheProcess[] } {
  const ctx = { server: undefined as unknown as TestServer, procs: [] as CacheProcess[] }
  beforeAll(async () => {
    ctx.server = await startRedis()
    ctx.procs.push(...(await spawnThree(ctx.server.url)))
  }, 30_000)
  afterAll(async () => {
    await Promise.all(ctx.procs.map((p) => p.stop().catch(() => {})))
    await ctx.server.stop()
  })
  return ctx
}

describe.skipIf(missing !== undefined)('three processes over one Redis', () => {
  const env = threeOverOwnRedis()

  it('a randomized sequence of writes, deletes and invalidations never reads stale after one bus delivery', async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 100_000)
    const rand = seeded(seed)
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4']
    const tagOf = (key: string) => `tag${Number(key.slice(1)) % 2}`
    const model = new Map<string, number>()
    const log: string[] = []
    for (let step = 0; step < 300; step++) {
      const p = env.procs[Math.floor(rand() * env.procs.length)]!
      const key = keys[Math.floor(rand() * keys.length)]!
      const r = rand()
      if (r < 0.35) {
        await p.call('set', key, step, [tagOf(key)])
        model.set(key, step)
        log.push(`${p.name} set ${key}=${step}`)
      } else if (r < 0.45) {
        await p.call('delete', key)
        model.delete(key)
        log.push(`${p.name} delete ${key}`)
      } else if (r < 0.52) {
        const tag = tagOf(key)
        await p.call('invalidateTags', [tag])
        for (const k of keys) if (tagOf(k) === tag) model.delete(k)
        log.push(`${p.name} invalidate ${tag}`)
      } else {
        // The only delay the model allows: one bus delivery to the reader.
        await p.call('flush')
        const got = await p.call('get', key)
        log.push(`${p.name} get ${key} -> ${String(got)}`)
        if (got !== (model.get(key) ?? undefined)) {
          throw new Error(
            `seed ${seed}, step ${step}: ${p.name} read ${key} = ${String(got)}, expected ${String(model.get(key))}\n${log.slice(-12).join('\n')}`,
          )
        }
      }
    }
    for (const p of env.procs) expect(await p.call<string[]>('errors')).toEqual([])
  }, 60_000)

  it('300 concurrent getOrSet with lock: true across the three processes run the loader once', async () => {
    const counterKey = `cs-test-mp-count-${randomUUID()}`
    const results = await Promise.all(
      env.procs.map((p) => p.call<string[]>('stampede', 'hot-key', 100, counterKey, 200)),
    )
    const admin = new Redis(env.server.url)
    const runs = Number(await admin.get(counterKey))
    await admin.del(counterKey)
    admin.disconnect()
    expect(runs).toBe(1)
    expect(results.flat()).toHaveLength(300)
    expect(new Set(results.flat())).toEqual(new Set(['value of hot-key']))
  }, 30_000)
})

describe.skipIf(missing !== undefined)('a Redis outage under three processes', () => {
  const env = threeOverOwnRedis()

  it('throws nowhere, drops each L1 on reconnect, and then all agree again', async () => {
    const [a, b, c] = env.procs as [CacheProcess, CacheProcess, CacheProcess]
    await a.call('set', 'k', 'before')
    for (const p of env.procs) {
      await p.call('flush')
      expect(await p.call('get', 'k')).toBe('before')
      expect(await p.call('inL1', 'k')).toBe(true)
    }
    await env.server.kill()
    // Redis is gone: writes and reads go on (fail-open), nothing throws.
    await a.call('set', 'k', 'during')
    expect(await a.call('get', 'k')).toBe('during')
    expect(await b.call('get', 'k')).toBe('before')
    await env.server.restart()
    // Each process notices its bus came back and drops its L1.
    for (const p of env.procs) {
      for (let i = 0; i < 500; i++) {
        const s = await p.call<{ bus: { resyncs: number } }>('stats')
        if (s.bus.resyncs > 0) break
        await new Promise((r) => setTimeout(r, 10))
      }
      expect((await p.call<{ bus: { resyncs: number } }>('stats')).bus.resyncs).toBeGreaterThan(0)
      expect(await p.call('inL1', 'k')).toBe(false)
    }
    await c.call('set', 'k', 'after')
    for (const p of env.procs) {
      await p.call('flush')
      expect(await p.call('get', 'k')).toBe('after')
    }
  }, 60_000)
})
