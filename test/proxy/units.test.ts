/** The pure pieces the proxy adds: RFC 9213 targeted fields, RFC 9111 §4.4 targets, ranges, purge tags, CLI flags, the SQLite store. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cacheForStore, parseProxyArgs, startProxy } from '../../src/cli/proxy-command.js'
import { runCli } from '../../src/cli/run.js'
import { invalidationTargets, isStorable, parseCacheControl, targetedCacheControl } from '../../src/http.js'
import { parseRange, purgeTags } from '../../src/proxy.js'
import { listen, request } from '../http/helpers.js'

describe('targetedCacheControl (RFC 9213)', () => {
  it('picks the first present and valid targeted field', () => {
    const h = { 'cdn-cache-control': 'max-age=60', 'surrogate-control': 'max-age=5' }
    expect(targetedCacheControl(h, ['surrogate-control', 'cdn-cache-control'])).toEqual({ maxAge: 5 })
    expect(targetedCacheControl(h, ['cdn-cache-control'])).toEqual({ maxAge: 60 })
    expect(targetedCacheControl({}, ['cdn-cache-control'])).toBeUndefined()
  })
  it('ignores an invalid targeted field (Cache-Control applies)', () => {
    expect(targetedCacheControl({ 'cdn-cache-control': ',,,' }, ['cdn-cache-control'])).toBeUndefined()
  })
})

describe('invalidationTargets (RFC 9111 §4.4)', () => {
  it('the target and same-origin Location/Content-Location after a non-error unsafe response', () => {
    expect(invalidationTargets('POST', 201, 'http://a.test/items', '/items/7', 'http://b.test/x')).toEqual([
      'http://a.test/items',
      'http://a.test/items/7',
    ])
  })
  it('nothing for safe methods or error statuses', () => {
    expect(invalidationTargets('GET', 200, 'http://a.test/x')).toEqual([])
    expect(invalidationTargets('DELETE', 404, 'http://a.test/x')).toEqual([])
    expect(invalidationTargets('PATCH', 302, 'http://a.test/x')).toEqual(['http://a.test/x'])
  })
})

describe('must-understand (RFC 9111 §5.2.2.3)', () => {
  const input = (status: number) => ({
    method: 'GET',
    requestCacheControl: {},
    authorization: false,
    status,
    cacheControl: parseCacheControl('must-understand, no-store, max-age=60'),
    hasExpires: false,
    vary: [] as string[],
  })
  it('overrides no-store for an understood status, not for another', () => {
    expect(isStorable(input(200), true)).toBe(true)
    expect(isStorable(input(299), true)).toBe(false)
  })
})

describe('parseRange', () => {
  it('reads one bytes range', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 })
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 })
    expect(parseRange('bytes=-4', 10)).toEqual({ start: 6, end: 9 })
    expect(parseRange('bytes=3-100', 10)).toEqual({ start: 3, end: 9 })
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable')
    expect(parseRange('bytes=1-2, 4-5', 10)).toBeUndefined() // several ranges: the whole 200
    expect(parseRange('items=1-2', 10)).toBeUndefined()
    expect(parseRange('bytes=5-2', 10)).toBeUndefined()
  })
})

describe('purgeTags', () => {
  it('maps URLs, prefixes and keys to tags, paths on the request host', () => {
    expect(purgeTags({ urls: ['/a?x=1', 'http://B.test/b'], prefixes: '/docs', keys: 'k1' }, 'a.test')).toEqual([
      'px:u:a.test/a?x=1',
      'px:u:b.test/b',
      'px:u:a.test/docs',
      'px:p:a.test/docs/',
      'px:k:k1',
    ])
  })
  it('refuses fields that are not strings', () => {
    expect(() => purgeTags({ keys: [1] as unknown as string[] }, 'a')).toThrow()
  })
})

describe('CLI flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cs-proxy-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads flags over a config file', () => {
    const file = join(dir, 'proxy.json')
    writeFileSync(file, JSON.stringify({ origin: 'http://127.0.0.1:1', port: 9000, grace: '10s', store: 'memory' }))
    const cfg = parseProxyArgs([
      '--config',
      file,
      '--port',
      '8081',
      '--max-object-size',
      '1mb',
      '--store',
      'sqlite:x.db',
      '--collapse-wait',
      '2s',
    ])
    expect(cfg).toMatchObject({
      origin: 'http://127.0.0.1:1',
      port: 8081,
      grace: '10s',
      maxObjectSize: '1mb',
      store: 'sqlite:x.db',
      collapseWait: '2s',
    })
  })

  it('refuses an unknown store', async () => {
    await expect(cacheForStore('memcached://x', undefined)).rejects.toThrow(/--store/)
  })

  it('a sqlite store keeps responses across a proxy restart', async () => {
    let hits = 0
    const origin = await listen(
      http.createServer((_q, res) => {
        hits++
        res.writeHead(200, { 'cache-control': 'max-age=600' })
        res.end(`v${hits}`)
      }),
    )
    const store = `sqlite:${join(dir, 'proxy.db')}`
    for (let i = 0; i < 2; i++) {
      const server = await startProxy({ origin: origin.base, port: 0, host: '127.0.0.1', store })
      const { port } = server.address() as import('node:net').AddressInfo
      // Host is part of the key: both instances are asked for the same site.
      const got = await request(`http://127.0.0.1:${port}`, '/persist', { headers: { host: 'site.test' } })
      expect(got.body).toBe('v1')
      // Let the SQLite write land before the restart.
      await new Promise((r) => setTimeout(r, 50))
      await new Promise<void>((r) => server.close(() => r()))
      server.closeAllConnections()
    }
    expect(hits).toBe(1)
    await origin.close()
  })

  it('`cachestack proxy` runs through the cachestack command until stopped', async () => {
    const origin = await listen(
      http.createServer((_q, res) => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        res.end('via cli')
      }),
    )
    let stop!: () => void
    const lines: string[] = []
    let listening!: (line: string) => void
    const up = new Promise<string>((r) => {
      listening = r
    })
    const done = runCli(['proxy', '--origin', origin.base, '--port', '0', '--host', '127.0.0.1'], {
      out: (t) => {
        lines.push(t)
        if (t.includes('listening')) listening(t)
      },
      err: (t) => lines.push(t),
      untilStopped: () =>
        new Promise<void>((r) => {
          stop = r
        }),
    })
    const port = /:(\d+) ->/.exec(await up)![1]
    const reply = await request(`http://127.0.0.1:${port}`, '/x')
    expect(reply.body).toBe('via cli')
    stop()
    expect(await done).toBe(0)
    await origin.close()
  })

  it('`cachestack proxy` without --origin is a usage error (exit 2)', async () => {
    const errs: string[] = []
    const code = await runCli(['proxy', '--port', '1'], {
      out: () => {},
      err: (t) => errs.push(t),
      untilStopped: () => Promise.resolve(),
    })
    expect(code).toBe(2)
    expect(errs.join('\n')).toMatch(/--origin is required/)
  })
})
