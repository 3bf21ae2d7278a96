import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, createCache } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { sqliteStore } from '../../src/sqlite.js'
import { cli, cliJson } from '../helpers/cli.js'
import { REDIS_URL, redisAvailable } from './helpers/redis-tier.js'

const root = join(import.meta.dirname, '../..')
const tsx = join(root, 'node_modules/.bin/tsx')
const main = join(root, 'src/cli/main.ts')

describe('cachestack CLI: usage', { timeout: 60_000 }, () => {
  it('--help lists the commands; each command has its own --help', async () => {
    const help = await cli('--help')
    expect(help.code).toBe(0)
    for (const c of ['stats', 'get', 'del', 'invalidate-tag', 'keys', 'dashboard']) expect(help.stdout).toContain(c)
    const keys = await cli('keys', '--help')
    expect(keys.code).toBe(0)
    expect(keys.stdout).toContain('cachestack keys PATTERN')
    expect(keys.stdout).toContain('SCAN')
    expect(keys.stdout).toContain('--redis URL')
  })

  it.skipIf(!existsSync(join(root, 'dist/esm/cli/main.js')))('the built bin runs (package.json "bin")', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    const built = spawnSync(process.execPath, [join(root, pkg.bin.cachestack!), 'keys', '--help'], { encoding: 'utf8' })
    expect(built.status).toBe(0)
    expect(built.stdout).toContain('cachestack keys PATTERN')
  })

  it('says what is wrong with a command line, with exit code 2', async () => {
    const none = await cli()
    expect(none.code).toBe(2)
    const unknown = await cli('flush')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('Unknown command "flush"')
    const noTier = await cli('get', 'k')
    expect(noTier.code).toBe(2)
    expect(noTier.stderr).toContain('--redis redis://host:6379 or --sqlite')
    const badUrl = await cli('get', 'k', '--redis', 'http://127.0.0.1:6379')
    expect(badUrl.code).toBe(2)
    expect(badUrl.stderr).toContain('redis:// or rediss://')
    const notUrl = await cli('get', 'k', '--redis', 'localhost 6379')
    expect(notUrl.code).toBe(2)
    expect(notUrl.stderr).toContain('is not a URL')
    const noKey = await cli('get', '--redis', REDIS_URL)
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toContain('Missing KEY')
  })

  it('refuses a mistyped flag instead of ignoring it (the command would read the wrong prefix)', async () => {
    const typo = await cli('stats', '--redis', REDIS_URL, '--prefx', 'app:')
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('Unknown option --prefx for "stats"')
    expect(typo.stderr).toContain('--prefix')
    const bare = await cli('keys', 'x*', '--redis', REDIS_URL, '--lmit')
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('Unknown option --lmit for "keys"')
    const noValue = await cli('stats', '--redis')
    expect(noValue.code).toBe(2)
    expect(noValue.stderr).toContain('--redis needs a value')
  })

  it('reports an unreachable server and a missing file clearly, with exit code 1', async () => {
    const down = await cli('stats', '--redis', 'redis://:hunter2@127.0.0.1:1')
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('Cannot reach Redis at redis://:***@127.0.0.1:1 (connect ECONNREFUSED')
    expect(down.stderr).not.toContain('hunter2')
    // The client's own error events are turned into that message, not printed by ioredis.
    expect(down.stderr).not.toContain('Unhandled error event')
    const badHost = await cli('get', 'k', '--redis', 'redis://no-such-host.invalid:6379')
    expect(badHost.code).toBe(1)
    expect(badHost.stderr).toContain('Cannot reach Redis at redis://no-such-host.invalid:6379 (')
    expect(badHost.stderr).toContain('no-such-host.invalid')
    expect(badHost.stderr).not.toContain('Unhandled error event')
    expect(badHost.stderr.trim().split('\n')).toHaveLength(1)
    const missing = await cli('stats', '--sqlite', '/nonexistent/dir/cache.db')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('No SQLite cache file at /nonexistent/dir/cache.db')
  })
})

const hasRedis = await redisAvailable()
if (!hasRedis && process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is unreachable (CI=true)`)
if (!hasRedis) console.warn(`cli.test: Redis at ${REDIS_URL} is unreachable; skipping the Redis cases`)

describe.skipIf(!hasRedis)('cachestack CLI against real Redis', { timeout: 60_000 }, () => {
  const prefix = `cs-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`
  const tier = ['--redis', REDIS_URL, '--prefix', prefix]
  let cache: Cache
  const fresh = () => createCache({ tiers: [redisStore({ url: REDIS_URL, prefix })] })

  beforeAll(async () => {
    cache = fresh()
    await cache.set('users:1', { name: 'Ada', email: 'ada@example.com' }, { tags: ['users'], ttl: '1h' })
    await cache.set('users:2', { name: 'Grace' }, { tags: ['users'], ttl: '1h' })
    await cache.set('products:1', 'a product', { ttl: '1h' })
  })
  afterAll(async () => {
    await cache?.clear()
    await cache?.close()
  })

  it('keys PATTERN lists matching keys by SCAN, bounded by --limit', async () => {
    const all = await cliJson<{ keys: string[]; complete: boolean }>('keys', 'users:*', ...tier)
    expect(all.keys.sort()).toEqual(['users:1', 'users:2'])
    expect(all.complete).toBe(true)
    const one = await cliJson<{ keys: string[]; complete: boolean }>('keys', '*', ...tier, '--limit', '1')
    expect(one.keys).toHaveLength(1)
    expect(one.complete).toBe(false)
    const human = await cli('keys', 'products:*', ...tier)
    expect(human.stdout.trim()).toBe('products:1')
  })

  it('get KEY shows state, type, size, tags and the value (or not, with --no-values); a missing key exits 1', async () => {
    const got = await cliJson<{
      found: boolean
      tiers: { state: string; type: string; tags: string[]; value: unknown }[]
    }>('get', 'users:1', ...tier)
    expect(got.found).toBe(true)
    expect(got.tiers[0]).toMatchObject({ state: 'fresh', type: 'object (2 keys)', tags: ['users'] })
    expect(got.tiers[0]!.value).toEqual({ name: 'Ada', email: 'ada@example.com' })
    const hidden = await cli('get', 'users:1', ...tier, '--no-values')
    expect(hidden.code).toBe(0)
    expect(hidden.stdout).toContain('fresh for')
    expect(hidden.stdout).not.toContain('ada@example.com')
    const missing = await cli('get', 'users:404', ...tier)
    expect(missing.code).toBe(1)
    expect(missing.stdout).toContain('not found')
  })

  it('stats shows the entries and the server figures', async () => {
    const s = await cliJson<{ tier: string; entries: number; serverHitRatio: number | null; server: string }>(
      'stats',
      ...tier,
    )
    expect(s.entries).toBe(3)
    expect(s.tier).toBe(`redis ${REDIS_URL} (prefix "${prefix}")`)
    expect(s.server).toMatch(/^Redis \d/)
  })

  it('invalidate-tag TAG reaches other processes; del KEY removes the key from Redis', async () => {
    const inv = await cliJson<{ invalidated: boolean; version: number }>('invalidate-tag', 'users', ...tier)
    expect(inv.invalidated).toBe(true)
    expect(inv.version).toBeGreaterThan(0)
    const other = fresh()
    try {
      expect(await other.get('users:1')).toBeUndefined()
      expect(await other.get('products:1')).toBe('a product')
    } finally {
      await other.close()
    }
    const del = await cliJson<{ deleted: boolean }>('del', 'products:1', ...tier)
    expect(del.deleted).toBe(true)
    expect((await cliJson<{ keys: string[] }>('keys', 'products:*', ...tier)).keys).toEqual([])
  })

  it('dashboard serves the dashboard until interrupted', async () => {
    const child: ChildProcess = spawn(
      tsx,
      [main, 'dashboard', ...tier, '--port', '0', '--token', 'cli-token-123', '--json'],
      {
        cwd: root,
      },
    )
    let out = ''
    const info = await new Promise<{ url: string; actions: boolean }>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d
        try {
          resolve(JSON.parse(out))
        } catch {
          // not all of it yet
        }
      })
      child.on('error', reject)
      child.on('close', (code) => reject(new Error(`dashboard exited ${code} before listening`)))
    })
    try {
      expect(info.actions).toBe(true)
      const snapshot = (await (await fetch(`${info.url}api/stats`)).json()) as {
        tiers: { name: string; entries: number }[]
      }
      expect(snapshot.tiers.map((t) => t.name)).toEqual(['redis'])
      const refused = await fetch(`${info.url}api/delete?key=users:2`, { method: 'POST' })
      expect(refused.status).toBe(401)
      // The chart carries the Redis server's own keyspace hit ratio: reads here move it.
      await expect
        .poll(
          async () => {
            await cache.get('users:2') // a Redis GET that hits
            await cache.get('users:nope') // and one that misses
            const s = (await (await fetch(`${info.url}api/stats`)).json()) as {
              history: { external: Record<string, number | null> }[]
            }
            return s.history.some((p) => typeof p.external['redis server (all keys)'] === 'number')
          },
          { timeout: 15_000, interval: 200 },
        )
        .toBe(true)
    } finally {
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
      child.kill('SIGINT')
      expect(await closed).toBe(0)
    }
  })
})

describe('cachestack CLI against a real SQLite file', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-cli-'))
  const path = join(dir, 'cache.db')
  const tier = ['--sqlite', path]

  beforeAll(async () => {
    const cache = createCache({ tiers: [sqliteStore({ path })] })
    await cache.set('users:1', { name: 'Ada' }, { tags: ['users'], ttl: '1h' })
    await cache.set('users:2', { name: 'Grace' }, { ttl: '1h' })
    await cache.set('pages:home', '<html>', { ttl: '1h' })
    await cache.close()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('keys, get, stats, invalidate-tag and del work on the file', async () => {
    expect((await cliJson<{ keys: string[] }>('keys', 'users:*', ...tier)).keys).toEqual(['users:1', 'users:2'])
    expect((await cliJson<{ keys: string[] }>('keys', '*:home', ...tier)).keys).toEqual(['pages:home'])
    const got = await cliJson<{ found: boolean; tiers: { type: string }[] }>('get', 'users:1', ...tier)
    expect(got.found).toBe(true)
    expect(got.tiers[0]!.type).toBe('object (1 keys)')
    const s = await cliJson<{ entries: number; fileBytes: number }>('stats', ...tier)
    expect(s.entries).toBe(3)
    expect(s.fileBytes).toBeGreaterThan(0)
    await cliJson('invalidate-tag', 'users', ...tier)
    expect(
      (await cliJson<{ found: boolean; tiers: { state?: string }[] }>('get', 'users:1', ...tier)).tiers[0],
    ).toBeDefined()
    const cache = createCache({ tiers: [sqliteStore({ path })] })
    try {
      expect(await cache.get('users:1')).toBeUndefined()
      expect(await cache.get('users:2')).toEqual({ name: 'Grace' })
    } finally {
      await cache.close()
    }
    expect((await cliJson<{ deleted: boolean }>('del', 'users:2', ...tier)).deleted).toBe(true)
    expect((await cliJson<{ keys: string[] }>('keys', 'users:*', ...tier)).keys).toEqual(['users:1'])
  })
})

describe('cachestack get: what a user would check', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-cli-get-'))
  const path = join(dir, 'cache.db')
  const tier = ['--sqlite', path]
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('shows an invalidated entry as stale, naming the tag, as cache.get sees it', async () => {
    const cache = createCache({ tiers: [sqliteStore({ path })] })
    await cache.set('users:1', { name: 'Ada' }, { tags: ['users'], ttl: '10m', grace: '1h' })
    await cache.close()
    const before = await cliJson<{ tiers: { state?: string }[] }>('get', 'users:1', ...tier)
    expect(before.tiers[0]!.state).toBe('fresh')
    await cliJson('invalidate-tag', 'users', ...tier)
    const after = await cliJson<{ found: boolean; tiers: { state?: string; invalidated?: string[] }[] }>(
      'get',
      'users:1',
      ...tier,
    )
    expect(after.found).toBe(true)
    expect(after.tiers[0]!.state).toBe('stale')
    expect(after.tiers[0]!.invalidated).toEqual(['users'])
    const human = await cli('get', 'users:1', ...tier)
    expect(human.stdout).toMatch(/sqlite: stale: invalidated \(users\); servable for (59m|1h)/)
    expect(human.stdout).not.toContain('fresh')
    const check = createCache({ tiers: [sqliteStore({ path })] })
    try {
      expect(await check.get('users:1')).toBeUndefined()
    } finally {
      await check.close()
    }
  })

  it('prints values as they were written: a Date, a Map, a Set, a bigint, bytes', async () => {
    const cache = createCache({ tiers: [sqliteStore({ path })] })
    const value = {
      at: new Date(0),
      ids: new Set([1, 2]),
      byName: new Map([['ada', 1]]),
      big: 10n,
      bytes: new Uint8Array([104, 105]),
    }
    await cache.set('when', value, { ttl: '1h' })
    await cache.close()
    const got = await cliJson<{ tiers: { value?: unknown }[] }>('get', 'when', ...tier)
    expect(got.tiers[0]!.value).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      ids: [1, 2],
      byName: { ada: 1 },
      big: '10n',
      bytes: '<2 bytes: 6869>',
    })
    const human = await cli('get', 'when', ...tier)
    expect(human.stdout).toContain('"at": "1970-01-01T00:00:00.000Z"')
    expect(human.stdout).not.toContain('\\u0000')
  })
})
