/**
 * buildServiceWorker, registerServiceWorker, clearSiteData and
 * `cachestack sw build`, without a browser (sw.browser.test.ts runs the worker).
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/run.js'
import { type AssetManifest, fingerprintAssets } from '../../src/http.js'
import { isCacheError } from '../../src/index.js'
import { buildServiceWorker, clearSiteData, registerServiceWorker } from '../../src/sw.js'

const root = join(import.meta.dirname, '../..')
let dir: string
let manifest: AssetManifest

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-swb-'))
  await mkdir(join(dir, 'public'))
  await writeFile(join(dir, 'public', 'app.css'), 'a{}')
  await writeFile(join(dir, 'public', 'app.js'), 'x()')
  await writeFile(join(dir, 'public', 'app.js.map'), '{}')
  await writeFile(join(dir, 'public', 'offline.html'), '<p>offline</p>')
  manifest = await fingerprintAssets({ dir: join(dir, 'public') })
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The configuration a built worker carries. */
function config(source: string): Record<string, unknown> {
  return JSON.parse(/^const C = (.*);$/m.exec(source)![1]!)
}

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return isCacheError(err) ? `${err.code}: ${err.message}` : String(err)
  }
  return undefined
}

describe('buildServiceWorker', () => {
  it('precaches the manifest (source maps left out), marks fingerprinted URLs immutable, and parses', () => {
    const sw = buildServiceWorker({ manifest, precache: ['/'], offline: '/assets/offline.html' })
    expect([...sw.precache].sort()).toEqual(
      ['/', manifest.url('app.css'), manifest.url('app.js'), '/assets/offline.html'].sort(),
    )
    const c = config(sw.source)
    expect(c.immutable).toEqual([manifest.url('app.css'), manifest.url('app.js')])
    expect(c.version).toBe(sw.version)
    expect(c.navigation).toMatchObject({ strategy: 'network-first' })
    // The script is valid JavaScript as a whole (the browser tests run it).
    expect(() => new Function(sw.source)).not.toThrow()
  })

  it('takes the JSON manifest too, telling fingerprinted entries by their name', () => {
    const sw = buildServiceWorker({ manifest: manifest.toJSON() })
    expect(config(sw.source).immutable).toEqual([manifest.url('app.css'), manifest.url('app.js')])
  })

  it('changes version when an asset, the configuration or an HTML entry changes, and only then', async () => {
    const a = buildServiceWorker({ manifest })
    expect(buildServiceWorker({ manifest }).version).toBe(a.version)
    expect(buildServiceWorker({ manifest, precache: ['/'] }).version).not.toBe(a.version)
    await writeFile(join(dir, 'public', 'offline.html'), '<p>offline, v2</p>')
    const html = await fingerprintAssets({ dir: join(dir, 'public') })
    expect(html.url('offline.html')).toBe(manifest.url('offline.html'))
    expect(buildServiceWorker({ manifest: html }).version).not.toBe(a.version)
    expect(buildServiceWorker({ manifest, version: 'v7' }).source).toContain('"version":"v7"')
  })

  it('resolves routes: prefixes, regular expressions (also as "^" strings), durations', () => {
    const sw = buildServiceWorker({
      manifest,
      routes: [
        { match: '/api/products/', strategy: 'stale-while-revalidate', cache: 'api', maxAge: '5m', maxEntries: 50 },
        { match: /^\/feed/gi, strategy: 'network-first', networkTimeout: '3s', private: true },
        { match: '^/img/.*\\.png$', strategy: 'cache-first' },
      ],
      navigations: { strategy: 'network-first', private: true },
    })
    expect(config(sw.source).routes).toEqual([
      {
        prefix: '/api/products/',
        strategy: 'stale-while-revalidate',
        cache: 'api',
        maxAge: 300_000,
        maxEntries: 50,
        timeout: 0,
        private: false,
      },
      {
        regexp: '^\\/feed',
        flags: 'i',
        strategy: 'network-first',
        cache: 'runtime',
        maxAge: 0,
        maxEntries: 0,
        timeout: 3000,
        private: true,
      },
      {
        regexp: '^/img/.*\\.png$',
        strategy: 'cache-first',
        cache: 'runtime',
        maxAge: 0,
        maxEntries: 0,
        timeout: 0,
        private: false,
      },
    ])
    expect(config(sw.source).navigation).toMatchObject({ private: true })
  })

  it('refuses bad options with a coded error naming the option', () => {
    const bad: [object, RegExp][] = [
      [{ manifest, routes: [{ match: 'api', strategy: 'cache-first' }] }, /routes\[0\]\.match/],
      [{ manifest, routes: [{ match: '/a', strategy: 'cache-only' }] }, /routes\[0\]\.strategy/],
      [{ manifest, routes: [{ match: '/a', strategy: 'cache-first', maxEntries: 0 }] }, /maxEntries/],
      [{ manifest, routes: [{ match: '/a', strategy: 'cache-first', cache: 'precache' }] }, /routes\[0\]\.cache/],
      [{ manifest, routes: [{ match: '/a', strategy: 'cache-first', maxage: 1 }] }, /routes\[0\]\.maxage/],
      [{ manifest, routes: [{ match: '^(', strategy: 'cache-first' }] }, /valid regular expression/],
      [{ manifest, navigations: { match: '/x' } }, /navigations\.match/],
      [{ manifest, offline: 'https://evil.example/x' }, /"offline"/],
      [{ manifest, precache: ['//evil.example/'] }, /precache\[0\]/],
      [{ manifest, precache: ['/\\evil.example/'] }, /precache\[0\]/],
      [{ manifest: { 'a.css': 'http://x/a.css' } }, /manifest\["a\.css"\]/],
      [{ manifest: null }, /"manifest"/],
      [{ manifest, claim: 'yes' }, /"claim"/],
      [{ manifest, name: 'my cache' }, /"name"/],
      [{ manifest, version: '1 2' }, /"version"/],
      [{ manifest, precahe: [] }, /"precahe"/],
    ]
    for (const [options, message] of bad) {
      const got = code(() => buildServiceWorker(options as never))
      expect(got, JSON.stringify(options)).toMatch(/^ERR_CACHE_INVALID_OPTION: /)
      expect(got).toMatch(message)
    }
  })

  it('serves itself with no-cache and an ETag, and 304 for a matching If-None-Match', () => {
    const sw = buildServiceWorker({ manifest })
    const r = sw.respond('GET', '/sw.js?v=1', {})!
    expect(r.status).toBe(200)
    expect(r.body).toBe(sw.source)
    const h = new Map(r.headers)
    expect(h.get('cache-control')).toBe('no-cache')
    expect(h.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(sw.respond('GET', '/sw.js', { 'if-none-match': h.get('etag')! })?.status).toBe(304)
    expect(sw.respond('HEAD', '/sw.js', {})?.body).toBeNull()
    expect(sw.respond('POST', '/sw.js', {})).toBeUndefined()
    expect(sw.respond('GET', '/other.js', {})).toBeUndefined()
  })
})

describe('registerServiceWorker and clearSiteData', () => {
  it('registers the given URL and cannot close the script element it sits in', () => {
    const s = registerServiceWorker({ url: '/app/sw.js', scope: '/app/' })
    expect(s).toContain('sw.register("/app/sw.js", { scope: "/app/" })')
    expect(s).not.toContain('</')
    expect(() => new Function(s)).not.toThrow()
    expect(code(() => registerServiceWorker({ url: 'javascript:alert(1)' }))).toMatch(/ERR_CACHE_INVALID_OPTION/)
  })
  it('sends Clear-Site-Data and the copy the worker can read', () => {
    expect(clearSiteData()).toEqual([
      ['clear-site-data', '"cache"'],
      ['cachestack-clear-site-data', '"cache"'],
    ])
    expect(clearSiteData(['cache', 'cookies'])[0]).toEqual(['clear-site-data', '"cache", "cookies"'])
    expect(code(() => clearSiteData(['cache', 'everything']))).toMatch(/ERR_CACHE_INVALID_OPTION/)
    expect(code(() => clearSiteData([]))).toMatch(/ERR_CACHE_INVALID_OPTION/)
  })
})

describe('cachestack sw build', () => {
  function io() {
    const out: string[] = []
    const err: string[] = []
    return {
      out,
      err,
      io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), untilStopped: async () => {} },
    }
  }

  it('writes the worker from a manifest file with a config file (the built command)', async () => {
    await manifest.write(join(dir, 'manifest.json'))
    await writeFile(
      join(dir, 'sw.json'),
      JSON.stringify({ routes: [{ match: '^/api/', strategy: 'stale-while-revalidate', maxEntries: 20 }] }),
    )
    const out = join(dir, 'sw.js')
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'dist/esm/cli/main.js'),
        'sw',
        'build',
        '--manifest',
        join(dir, 'manifest.json'),
        '--config',
        join(dir, 'sw.json'),
        '--precache',
        '/,/about',
        '--offline',
        '/offline',
        '--out',
        out,
        '--json',
      ],
      { encoding: 'utf8' },
    )
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const result = JSON.parse(run.stdout)
    const source = await readFile(out, 'utf8')
    expect(result).toMatchObject({ out, bytes: Buffer.byteLength(source) })
    expect(result.precache).toEqual(expect.arrayContaining(['/', '/about', '/offline', manifest.url('app.css')]))
    const c = config(source)
    expect(c.version).toBe(result.version)
    expect(c.routes).toEqual([expect.objectContaining({ regexp: '^/api/', maxEntries: 20 })])
  })

  it('fingerprints a directory itself with --dir', async () => {
    const t = io()
    expect(
      await runCli(
        ['sw', 'build', '--dir', join(dir, 'public'), '--prefix', '/static/', '--out', join(dir, 'sw2.js')],
        t.io,
      ),
    ).toBe(0)
    expect(t.out[0]).toMatch(/^wrote .*sw2\.js: version [0-9a-f]{12}, 3 URLs precached, \d+ bytes$/)
    expect(await readFile(join(dir, 'sw2.js'), 'utf8')).toContain('"/static/app.')
  })

  it('says what is wrong: usage (exit 2), bad options (exit 1, with the code)', async () => {
    let t = io()
    expect(await runCli(['sw', 'build', '--out', join(dir, 'x.js')], t.io)).toBe(2)
    expect(t.err[0]).toMatch(/give one of --manifest or --dir/)
    t = io()
    expect(await runCli(['sw', 'deploy'], t.io)).toBe(2)
    t = io()
    expect(
      await runCli(
        ['sw', 'build', '--manifest', join(dir, 'manifest.json'), '--out', join(dir, 'x.js'), '--offline', 'offline'],
        t.io,
      ),
    ).toBe(1)
    expect(t.err[0]).toMatch(/Option "offline" must be .*\(ERR_CACHE_INVALID_OPTION\)/)
    t = io()
    expect(await runCli(['sw', '--help'], t.io)).toBe(0)
    expect(t.out[0]).toContain('Usage: cachestack sw build')
  })
})
