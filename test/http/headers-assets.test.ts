import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cached, cacheControl as expressCacheControl, serveAssets } from '../../src/express.js'
import { fastifyAssets, cacheControl as fastifyCacheControl } from '../../src/fastify.js'
import { serveAssets as honoAssets, cacheControl as honoCacheControl } from '../../src/hono.js'
import {
  type AssetManifest,
  CLOUDFLARE_TAGS_PER_PURGE,
  cacheControlValue,
  cloudflarePurge,
  FASTLY_KEYS_PER_PURGE,
  fastlyPurge,
  fingerprintAssets,
  invalidateHttp,
  surrogateKey,
} from '../../src/http.js'
import { createCache, isCacheError, memoryStore } from '../../src/index.js'
import { listen, request } from './helpers.js'

describe('cacheControlValue', () => {
  it('builds browser and CDN headers from named options', () => {
    expect(cacheControlValue({ public: true, maxAge: '365d', immutable: true })).toBe(
      'public, max-age=31536000, immutable',
    )
    expect(
      cacheControlValue({ public: true, maxAge: '1m', sMaxAge: '1h', staleWhileRevalidate: '1d', staleIfError: '1d' }),
    ).toBe('public, max-age=60, s-maxage=3600, stale-while-revalidate=86400, stale-if-error=86400')
    expect(cacheControlValue({ private: true, noCache: true })).toBe('private, no-cache')
    expect(cacheControlValue({ noStore: true })).toBe('no-store')
  })
  it('refuses contradictions with a coded error', () => {
    for (const bad of [
      { public: true, private: true },
      { noStore: true, maxAge: 5 },
      { maxAge: 'soon' },
      { maxage: 1 },
    ]) {
      let caught: unknown
      try {
        cacheControlValue(bad as never)
      } catch (err) {
        caught = err
      }
      expect(isCacheError(caught, 'ERR_CACHE_INVALID_OPTION') || isCacheError(caught, 'ERR_CACHE_INVALID_TTL')).toBe(
        true,
      )
    }
  })
  it('sets the header in Express, Fastify and Hono', async () => {
    const value = 'public, max-age=60'
    const app = express()
    app.get('/x', expressCacheControl({ public: true, maxAge: '1m' }), (_req, res) => {
      res.send('x')
    })
    const e = await listen(http.createServer(app))
    expect((await request(e.base, '/x')).headers['cache-control']).toBe(value)
    await e.close()

    const f = Fastify()
    f.get('/x', { onRequest: fastifyCacheControl({ public: true, maxAge: '1m' }) }, async () => 'x')
    const fb = await f.listen({ port: 0, host: '127.0.0.1' })
    expect((await request(fb, '/x')).headers['cache-control']).toBe(value)
    await f.close()

    const h = new Hono()
    h.get('/x', honoCacheControl({ public: true, maxAge: '1m' }), (c) => c.text('x'))
    expect((await h.request('/x')).headers.get('cache-control')).toBe(value)
  })
})

/** A local server standing in for the CDN's API: records every request, answers 200 (or `fail` for the nth). */
async function cdnApi(fail?: number) {
  const calls: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = []
  const server = await listen(
    http.createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => {
        body += c.toString()
      })
      req.on('end', () => {
        calls.push({ url: req.url ?? '', headers: req.headers, body })
        res.statusCode = calls.length === fail ? 429 : 200
        res.setHeader('content-type', 'application/json')
        res.end(calls.length === fail ? '{"msg":"slow down"}' : '{"status":"ok"}')
      })
    }),
  )
  return { calls, ...server }
}

describe('surrogate keys and purging', () => {
  it('invalidates route entries by tag and path and tells the CDN', async () => {
    const cdn = await cdnApi()
    const calls = cdn.calls
    const cache = createCache({ tiers: [memoryStore()] })
    const app = express()
    let runs = 0
    app.get('/products', cached({ cache, ttl: '1h', tags: ['products'], surrogateKeys: true }), (_req, res) => {
      res.json({ run: ++runs })
    })
    const site = await listen(http.createServer(app))
    try {
      await request(site.base, '/products')
      expect((await request(site.base, '/products')).headers['surrogate-key']).toBe('products')
      await invalidateHttp(
        cache,
        { tags: ['products'] },
        fastlyPurge({ serviceId: 'svc', token: 'tok', baseUrl: cdn.base }),
      )
      expect(JSON.parse((await request(site.base, '/products')).body)).toEqual({ run: 2 })
      expect(calls[0]).toMatchObject({ url: '/service/svc/purge' })
      expect(calls[0]!.headers['surrogate-key']).toBe('products')
      expect(calls[0]!.headers['fastly-key']).toBe('tok')

      await invalidateHttp(
        cache,
        { paths: ['/products'] },
        cloudflarePurge({ zoneId: 'z', token: 't', baseUrl: cdn.base }),
      )
      expect(JSON.parse((await request(site.base, '/products')).body)).toEqual({ run: 3 })
      expect(calls).toHaveLength(1) // a path-only invalidation has no tags to purge

      await invalidateHttp(
        cache,
        { tags: ['products'] },
        cloudflarePurge({ zoneId: 'z', token: 't', baseUrl: cdn.base }),
      )
      expect(calls[1]).toMatchObject({ url: '/zones/z/purge_cache', body: '{"tags":["products"]}' })
      expect(calls[1]!.headers.authorization).toBe('Bearer t')
    } finally {
      await site.close()
      await cdn.close()
    }
  })
})

describe('purge hooks against a stand-in CDN API', () => {
  const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`)

  it('Fastly: at most 256 surrogate keys per request, all keys sent once', async () => {
    const cdn = await cdnApi()
    try {
      await fastlyPurge({ serviceId: 'svc', token: 'tok', soft: true, baseUrl: cdn.base })([...tags(600), 't1'])
      expect(cdn.calls.map((c) => (c.headers['surrogate-key'] as string).split(' ').length)).toEqual([256, 256, 88])
      expect(cdn.calls.flatMap((c) => (c.headers['surrogate-key'] as string).split(' '))).toEqual(tags(600))
      for (const c of cdn.calls) {
        expect(c.url).toBe('/service/svc/purge')
        expect(c.headers['fastly-key']).toBe('tok')
        expect(c.headers['fastly-soft-purge']).toBe('1')
      }
      cdn.calls.length = 0
      await fastlyPurge({ serviceId: 'svc', token: 'tok', baseUrl: cdn.base })(tags(256))
      expect(cdn.calls).toHaveLength(1)
      cdn.calls.length = 0
      await fastlyPurge({ serviceId: 'svc', token: 'tok', baseUrl: cdn.base })([])
      expect(cdn.calls).toHaveLength(0)
      expect(FASTLY_KEYS_PER_PURGE).toBe(256)
    } finally {
      await cdn.close()
    }
  })

  it('Cloudflare: at most 100 tags per request', async () => {
    const cdn = await cdnApi()
    try {
      await cloudflarePurge({ zoneId: 'z', token: 't', baseUrl: cdn.base })(tags(250))
      const sent = cdn.calls.map((c) => (JSON.parse(c.body) as { tags: string[] }).tags)
      expect(sent.map((b) => b.length)).toEqual([100, 100, 50])
      expect(sent.flat()).toEqual(tags(250))
      expect(CLOUDFLARE_TAGS_PER_PURGE).toBe(100)
    } finally {
      await cdn.close()
    }
  })

  it('a failed batch throws, naming which request failed', async () => {
    const cdn = await cdnApi(2)
    try {
      await expect(fastlyPurge({ serviceId: 'svc', token: 'tok', baseUrl: cdn.base })(tags(600))).rejects.toThrow(
        /HTTP 429 \(request 2 of 3; the earlier ones succeeded\): \{"msg":"slow down"\}/,
      )
      expect(cdn.calls).toHaveLength(2)
    } finally {
      await cdn.close()
    }
  })

  it('purges the keys the response headers carried for tags with a line break, space or comma', async () => {
    const cdn = await cdnApi()
    try {
      const odd = ['search:red\nshoes', 'a b', 'a,b', 'blüe', '50%', 'plain']
      expect(odd.map(surrogateKey)).toEqual(['search:red%0Ashoes', 'a%20b', 'a%2Cb', 'bl%C3%BCe', '50%25', 'plain'])
      await fastlyPurge({ serviceId: 'svc', token: 'tok', baseUrl: cdn.base })(odd)
      await cloudflarePurge({ zoneId: 'z', token: 't', baseUrl: cdn.base })(odd)
      expect(cdn.calls[0]!.headers['surrogate-key']).toBe(odd.map(surrogateKey).join(' '))
      expect(JSON.parse(cdn.calls[1]!.body)).toEqual({ tags: odd.map(surrogateKey) })
    } finally {
      await cdn.close()
    }
  })
})

describe('fingerprinted assets', () => {
  let dir: string
  let manifest: AssetManifest
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cs-assets-'))
    await mkdir(join(dir, 'js'))
    await writeFile(join(dir, 'app.css'), 'body { color: red }')
    await writeFile(join(dir, 'js', 'app.js'), 'console.log(1)')
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>x</title>')
    manifest = await fingerprintAssets({ dir })
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('names files by content hash and writes a manifest for templates', async () => {
    expect(manifest.url('app.css')).toMatch(/^\/assets\/app\.[0-9a-f]{10}\.css$/)
    expect(manifest.url('js/app.js')).toMatch(/^\/assets\/js\/app\.[0-9a-f]{10}\.js$/)
    expect(manifest.url('index.html')).toBe('/assets/index.html')
    expect(() => manifest.url('missing.css')).toThrow(/asset name/)
    await manifest.write(join(dir, '..', `manifest-${process.pid}.json`))
    const json = JSON.parse(await readFile(join(dir, '..', `manifest-${process.pid}.json`), 'utf8'))
    expect(json['app.css']).toBe(manifest.url('app.css'))
    await rm(join(dir, '..', `manifest-${process.pid}.json`))
    // a change of content changes the name
    const other = await mkdtemp(join(tmpdir(), 'cs-assets-'))
    await writeFile(join(other, 'app.css'), 'body { color: blue }')
    expect((await fingerprintAssets({ dir: other })).url('app.css')).not.toBe(manifest.url('app.css'))
    await rm(other, { recursive: true, force: true })
  })

  async function check(base: string) {
    const css = await request(base, manifest.url('app.css'))
    expect(css.status).toBe(200)
    expect(css.body).toBe('body { color: red }')
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(css.headers['content-type']).toMatch(/text\/css/)
    const html = await request(base, '/assets/index.html')
    expect(html.headers['cache-control']).toBe('no-cache')
    const etag = String(html.headers.etag)
    expect((await request(base, '/assets/index.html', { headers: { 'if-none-match': etag } })).status).toBe(304)
    // not in the manifest: passed on (404 here), whatever its extension
    for (const path of ['/assets/app.css', '/account/x.css', '/assets/../app.css', '/assets/app.css/x.css']) {
      const r = await request(base, path)
      expect(r.status).toBe(404)
      expect(r.headers['cache-control'] ?? '').not.toMatch(/immutable/)
    }
  }

  it('are served by Express with immutable caching, HTML with no-cache and 304', async () => {
    const app = express()
    app.use(serveAssets(manifest))
    const s = await listen(http.createServer(app))
    try {
      await check(s.base)
    } finally {
      await s.close()
    }
  })

  it('are served by Fastify', async () => {
    const app = Fastify()
    await app.register(fastifyAssets, { manifest })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      await check(base)
    } finally {
      await app.close()
    }
  })

  it('are served by Hono', async () => {
    const app = new Hono()
    app.use(honoAssets(manifest))
    const s = await new Promise<{ base: string; close: () => void }>((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve({ base: `http://127.0.0.1:${info.port}`, close: () => server.close() }),
      )
    })
    try {
      await check(s.base)
    } finally {
      s.close()
    }
  })
})
