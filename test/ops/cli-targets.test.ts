import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, createCache } from '../../src/index.js'
import { memcachedStore } from '../../src/memcached.js'
import { redisStore } from '../../src/redis.js'
import { cli, cliJson } from '../helpers/cli.js'
import {
  missingServers,
  startMemcached,
  startRedisCluster,
  startSentinel,
  type TestCluster,
  type TestMemcached,
  type TestSentinel,
} from '../helpers/servers.js'

type Got = { found: boolean; tiers: { state: string; value: unknown }[] }

describe.skipIf(missingServers('cluster') !== undefined)(
  'cachestack CLI on a Redis Cluster (issue 19, finding 10)',
  {
    timeout: 120_000,
  },
  () => {
    let cluster: TestCluster
    let cache: Cache
    const prefix = 'cli-cluster:'
    const tier = () => ['--redis', cluster.url, '--prefix', prefix]
    beforeAll(async () => {
      cluster = await startRedisCluster()
      cache = createCache({ tiers: [redisStore({ cluster: cluster.nodes, prefix })] })
      for (let i = 0; i < 30; i++) await cache.set(`item:${i}`, { i }, { ttl: '1h' })
    })
    afterAll(async () => {
      await cache?.close()
      await cluster?.stop()
    })

    it('keys scans every master: all 30 keys, complete only when they are', async () => {
      const all = await cliJson<{ keys: string[]; complete: boolean }>('keys', 'item:*', ...tier())
      expect(all.keys).toHaveLength(30)
      expect(all.complete).toBe(true)
      const cut = await cliJson<{ keys: string[]; complete: boolean }>('keys', 'item:*', ...tier(), '--limit', '10')
      expect(cut.keys).toHaveLength(10)
      expect(cut.complete).toBe(false)
    })

    it('get, del and stats follow redirects to whichever master holds the key', async () => {
      for (let i = 0; i < 30; i += 7) {
        const got = await cliJson<Got>('get', `item:${i}`, ...tier())
        expect(got.found).toBe(true)
        expect(got.tiers[0]!.value).toEqual({ i })
      }
      const del = await cliJson<{ deleted: boolean }>('del', 'item:29', ...tier())
      expect(del.deleted).toBe(true)
      expect(await cache.get('item:29')).toBeUndefined()
      const stats = await cliJson<{ entries: number; tier: string }>('stats', ...tier())
      expect(stats.entries).toBe(29)
      expect(stats.tier).toContain('cluster')
    })
  },
)

describe.skipIf(missingServers('sentinel') !== undefined)(
  'cachestack CLI through Sentinel (issue 19, finding 10)',
  {
    timeout: 120_000,
  },
  () => {
    let sentinel: TestSentinel
    let cache: Cache
    const prefix = 'cli-sentinel:'
    const tier = () => [
      '--sentinel',
      sentinel.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      '--master',
      sentinel.masterName,
      '--prefix',
      prefix,
    ]
    beforeAll(async () => {
      sentinel = await startSentinel()
      cache = createCache({
        tiers: [redisStore({ sentinels: sentinel.sentinels, masterName: sentinel.masterName, prefix })],
      })
      await cache.set('user:1', { name: 'Ada' }, { ttl: '1h', tags: ['users'] })
    })
    afterAll(async () => {
      await cache?.close()
      await sentinel?.stop()
    })

    it('get, keys and invalidate-tag reach the master the sentinels name', async () => {
      const got = await cliJson<Got>('get', 'user:1', ...tier())
      expect(got.tiers[0]!.value).toEqual({ name: 'Ada' })
      expect((await cliJson<{ keys: string[] }>('keys', 'user:*', ...tier())).keys).toEqual(['user:1'])
      await cliJson('invalidate-tag', 'users', ...tier())
      expect(await cache.get('user:1')).toBeUndefined()
    })

    it('--master without --sentinel is a usage error', async () => {
      const run = await cli('stats', '--master', 'x', '--redis', 'redis://127.0.0.1:1')
      expect(run.code).toBe(2)
      expect(run.stderr).toContain('--sentinel')
    })
  },
)

describe.skipIf(missingServers('memcached') !== undefined)(
  'cachestack CLI on Memcached (issue 19, finding 10)',
  {
    timeout: 60_000,
  },
  () => {
    let server: TestMemcached
    let cache: Cache
    const prefix = 'cli-mc:'
    const tier = () => ['--memcached', `127.0.0.1:${server.port}`, '--prefix', prefix]
    beforeAll(async () => {
      server = await startMemcached()
      cache = createCache({ tiers: [memcachedStore({ servers: `127.0.0.1:${server.port}`, prefix })] })
      await cache.set('user:1', { name: 'Ada' }, { ttl: '1h', tags: ['users'] })
      await cache.set('k'.repeat(300), 'long key, hashed by the store', { ttl: '1h' })
    })
    afterAll(async () => {
      await cache?.close()
      await server?.stop()
    })

    it('get reads as the store does (hashed long keys too); del and invalidate-tag reach the app', async () => {
      expect((await cliJson<Got>('get', 'user:1', ...tier())).tiers[0]!.value).toEqual({ name: 'Ada' })
      expect((await cliJson<Got>('get', 'k'.repeat(300), ...tier())).tiers[0]!.value).toBe(
        'long key, hashed by the store',
      )
      await cliJson('invalidate-tag', 'users', ...tier())
      expect(await cache.get('user:1')).toBeUndefined()
      expect((await cliJson<{ deleted: boolean }>('del', 'k'.repeat(300), ...tier())).deleted).toBe(true)
    })

    it('keys says Memcached cannot list keys (exit 2) instead of an empty list; stats shows the server', async () => {
      const keys = await cli('keys', '*', ...tier())
      expect(keys.code).toBe(2)
      expect(keys.stderr).toContain('Memcached cannot list keys')
      const stats = await cliJson<{ server: string; tier: string }>('stats', ...tier())
      expect(stats.server).toMatch(/^Memcached \d/)
      expect(stats.tier).toContain('memcached')
    })

    it('an unreachable Memcached is reported with exit code 1', async () => {
      const run = await cli('stats', '--memcached', '127.0.0.1:1')
      expect(run.code).toBe(1)
      expect(run.stderr).toContain('Cannot reach Memcached')
    })
  },
)
