/**
 * The edge tier: targeted cache-control headers from one route option; hard
 * and soft purges against local stand-ins that check each vendor's
 * documented request; and one `invalidateTags` reaching L1, L2 (Redis), the
 * reverse proxy and the CDN.
 */
import { createHash, createHmac } from 'node:crypto'
import http from 'node:http'
import express from 'express'
import { afterAll, describe, expect, it } from 'vitest'
import { cached } from '../../src/express.js'
import { sigV4Key } from '../../src/http/headers/request-signing.js'
import {
  akamaiPurge,
  cloudflarePurge,
  cloudfrontPurge,
  edgeCacheHeaders,
  fastlyPurge,
  proxyPurge,
} from '../../src/http.js'
import { createCache, isCacheError, memoryStore } from '../../src/index.js'
import { createProxy } from '../../src/proxy.js'
import { redisBus, redisStore } from '../../src/redis.js'
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.js'
import { listen, request } from './helpers.js'

const hasRedis = await redisAvailable()

describe('edge headers from one route option', () => {
  it('writes CDN-Cache-Control, Surrogate-Control and the per-CDN forms', () => {
    expect(
      edgeCacheHeaders({
        maxAge: '1h',
        staleWhileRevalidate: '1d',
        staleIfError: '2d',
        targets: ['cdn', 'surrogate', 'cloudflare', 'akamai'],
      }),
    ).toEqual([
      ['cdn-cache-control', 'max-age=3600, stale-while-revalidate=86400, stale-if-error=172800'],
      ['surrogate-control', 'max-age=3600, stale-while-revalidate=86400, stale-if-error=172800'],
      ['cloudflare-cdn-cache-control', 'max-age=3600, stale-while-revalidate=86400, stale-if-error=172800'],
      ['akamai-cache-control', 'max-age=3600, stale-while-revalidate=86400, stale-if-error=172800'],
    ])
    expect(edgeCacheHeaders({ noStore: true })).toEqual([
      ['cdn-cache-control', 'no-store'],
      ['surrogate-control', 'no-store'],
    ])
    for (const bad of [
      {},
      { maxAge: '1h', targets: ['varnish'] },
      { noStore: true, maxAge: 1 },
      { maxAge: 'x' },
      { max: 1 },
    ]) {
      let err: unknown
      try {
        edgeCacheHeaders(bad as never)
      } catch (e) {
        err = e
      }
      expect(isCacheError(err, 'ERR_CACHE_INVALID_OPTION') || isCacheError(err, 'ERR_CACHE_INVALID_TTL')).toBe(true)
    }
  })

  it('cached({ cdn }) sends them on misses and hits, never on private routes or private responses', async () => {
    const cache = createCache({ tiers: [memoryStore()] })
    const cdn = { maxAge: '1h', staleWhileRevalidate: '1d', targets: ['cdn', 'surrogate', 'cloudflare'] as const }
    const app = express()
    app.get('/p', cached({ cache, ttl: '1m', cdn: { ...cdn, targets: [...cdn.targets] } }), (_q, r) => {
      r.set('cache-control', 'public, max-age=60').send('p')
    })
    app.get('/own', cached({ cache, ttl: '1m', cdn: { ...cdn, targets: ['cdn'] } }), (_q, r) => {
      r.set('cache-control', 'public, max-age=60').set('cdn-cache-control', 'max-age=5').send('own')
    })
    app.get('/me', cached({ cache, ttl: '1m', private: true, cdn: { maxAge: '1h' } }), (_q, r) => {
      r.send('me')
    })
    app.get('/priv', cached({ cache, ttl: '1m', cdn: { maxAge: '1h' } }), (_q, r) => {
      r.set('cache-control', 'private, max-age=60').send('priv')
    })
    const s = await listen(http.createServer(app))
    try {
      for (const status of ['miss', 'hit']) {
        const r = await request(s.base, '/p')
        expect(r.headers['cache-status'], status).toMatch(status === 'hit' ? /hit/ : /fwd=miss/)
        expect(r.headers['cdn-cache-control']).toBe('max-age=3600, stale-while-revalidate=86400')
        expect(r.headers['surrogate-control']).toBe('max-age=3600, stale-while-revalidate=86400')
        expect(r.headers['cloudflare-cdn-cache-control']).toBe('max-age=3600, stale-while-revalidate=86400')
        expect(r.headers['cache-control']).toBe('public, max-age=60')
      }
      expect((await request(s.base, '/own')).headers['cdn-cache-control']).toBe('max-age=5')
      const me = await request(s.base, '/me', { headers: { cookie: 'sid=1' } })
      expect(me.headers['cdn-cache-control']).toBeUndefined()
      expect((await request(s.base, '/priv')).headers['cdn-cache-control']).toBeUndefined()
    } finally {
      await s.close()
      await cache.close()
    }
  })
})

interface Call {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

/** EdgeGrid, written again from Akamai's description, to check the hook's signature. */
function edgeGridSignature(secret: string, call: Call, host: string): boolean {
  const auth = String(call.headers.authorization)
  const m =
    /^(EG1-HMAC-SHA256 client_token=[^;]+;access_token=[^;]+;timestamp=([^;]+);nonce=[^;]+;)signature=(.+)$/.exec(auth)
  if (m === null) return false
  const key = createHmac('sha256', secret).update(m[2]!).digest('base64')
  const hash = createHash('sha256').update(call.body).digest('base64')
  const data = ['POST', 'http', host, call.url, '', hash, m[1]].join('\t')
  return createHmac('sha256', key).update(data).digest('base64') === m[3]
}

/** One local server standing in for the four vendors' purge APIs; a request off their documented shape gets 400/403. */
async function vendorApis() {
  const calls: Call[] = []
  let host = ''
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c
    })
    req.on('end', () => {
      const call = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      calls.push(call)
      const reply = (status: number, text: string, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type }).end(text)
      }
      const u = call.url
      if (call.method !== 'POST') return reply(405, '{}')
      if (/^\/service\/[^/]+\/purge$/.test(u) || u.startsWith('/purge/')) {
        if (req.headers['fastly-key'] !== 'fastly-token') return reply(403, '{"msg":"bad key"}')
        return reply(200, '{"status":"ok"}')
      }
      if (/^\/client\/v4\/zones\/[^/]+\/purge_cache$/.test(u)) {
        if (req.headers.authorization !== 'Bearer cf-token') return reply(403, '{"success":false}')
        const fields = Object.keys(JSON.parse(body))
        if (fields.length !== 1 || !['tags', 'files', 'prefixes', 'hosts'].includes(fields[0]!)) {
          return reply(400, '{"success":false}')
        }
        return reply(200, '{"success":true,"errors":[],"messages":[],"result":{"id":"z"}}')
      }
      if (/^\/ccu\/v3\/(invalidate|delete)\/(tag|url|cpcode)\/(production|staging)$/.test(u)) {
        if (!edgeGridSignature('akamai-secret', call, host)) return reply(401, '{"title":"bad signature"}')
        if (!Array.isArray(JSON.parse(body).objects)) return reply(400, '{"title":"objects"}')
        return reply(201, '{"httpStatus":201,"estimatedSeconds":5,"purgeId":"p1"}')
      }
      if (/^\/2020-05-31\/distribution\/[^/]+\/invalidation$/.test(u)) {
        const auth = String(req.headers.authorization)
        if (
          !/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/cloudfront\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/.test(
            auth,
          )
        ) {
          return reply(403, '<Error><Code>SignatureDoesNotMatch</Code></Error>', 'text/xml')
        }
        const n = /<Quantity>(\d+)<\/Quantity>/.exec(body)
        if (
          n === null ||
          Number(n[1]) !== (body.match(/<Path>/g) ?? []).length ||
          !body.includes('<CallerReference>')
        ) {
          return reply(400, '<Error><Code>MalformedInput</Code></Error>', 'text/xml')
        }
        return reply(201, '<Invalidation><Id>I1</Id><Status>InProgress</Status></Invalidation>', 'text/xml')
      }
      reply(404, '{}')
    })
  })
  const s = await listen(server)
  host = new URL(s.base).host
  return { ...s, calls, host }
}

describe('purges, hard and soft, against stand-ins of each vendor API', () => {
  it('Fastly: keys and URLs, soft with Fastly-Soft-Purge', async () => {
    const api = await vendorApis()
    try {
      const soft = fastlyPurge({ serviceId: 'svc', token: 'fastly-token', soft: true, baseUrl: api.base })
      await soft(['product:7'])
      await soft.urls(['https://shop.example/products/7?x=1'])
      await fastlyPurge({ serviceId: 'svc', token: 'fastly-token', baseUrl: api.base })(['product:8'])
      expect(api.calls.map((c) => [c.url, c.headers['surrogate-key'], c.headers['fastly-soft-purge']])).toEqual([
        ['/service/svc/purge', 'product:7', '1'],
        ['/purge/shop.example/products/7?x=1', undefined, '1'],
        ['/service/svc/purge', 'product:8', undefined],
      ])
      await expect(fastlyPurge({ serviceId: 'svc', token: 'wrong', baseUrl: api.base })(['x'])).rejects.toThrow(
        /HTTP 403/,
      )
    } finally {
      await api.close()
    }
  })

  it('Cloudflare: tags, URLs and prefixes', async () => {
    const api = await vendorApis()
    try {
      const cf = cloudflarePurge({ zoneId: 'zone1', token: 'cf-token', baseUrl: `${api.base}/client/v4` })
      await cf(['product:7'])
      await cf.urls(['https://shop.example/products/7'])
      await cf.prefixes(['shop.example/products/'])
      expect(api.calls.map((c) => JSON.parse(c.body))).toEqual([
        { tags: ['product:7'] },
        { files: ['https://shop.example/products/7'] },
        { prefixes: ['shop.example/products/'] },
      ])
      expect(new Set(api.calls.map((c) => c.url))).toEqual(new Set(['/client/v4/zones/zone1/purge_cache']))
    } finally {
      await api.close()
    }
  })

  it('Akamai Fast Purge: invalidate (soft) or delete by tag and URL, signed with EdgeGrid, in bodies under 50,000 bytes', async () => {
    const api = await vendorApis()
    const creds = {
      clientToken: 'ct',
      accessToken: 'at',
      clientSecret: 'akamai-secret',
      host: api.host,
      baseUrl: api.base,
    }
    try {
      await akamaiPurge({ ...creds, soft: true })(['product:7', 'a b'])
      await akamaiPurge({ ...creds, network: 'staging' }).urls(['https://shop.example/p'])
      const many = Array.from({ length: 3000 }, (_, i) => `tag-${i}-${'x'.repeat(20)}`)
      await akamaiPurge({ ...creds, soft: true })(many)
      expect(api.calls[0]).toMatchObject({
        url: '/ccu/v3/invalidate/tag/production',
        body: '{"objects":["product:7","a%20b"]}',
      })
      expect(api.calls[1]).toMatchObject({
        url: '/ccu/v3/delete/url/staging',
        body: '{"objects":["https://shop.example/p"]}',
      })
      const batches = api.calls.slice(2)
      expect(batches.length).toBeGreaterThan(1)
      expect(batches.every((c) => Buffer.byteLength(c.body) <= 50_000)).toBe(true)
      expect(batches.flatMap((c) => JSON.parse(c.body).objects)).toEqual(many)
      await expect(akamaiPurge({ ...creds, clientSecret: 'wrong' })(['x'])).rejects.toThrow(
        /Akamai purge failed with HTTP 401/,
      )
    } finally {
      await api.close()
    }
  })

  it('CloudFront: invalidation paths (tags mapped to paths), signed with SigV4', async () => {
    // The derived signing key of AWS's documented SigV4 example.
    expect(sigV4Key('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam').toString('hex')).toBe(
      'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9',
    )
    const api = await vendorApis()
    try {
      const cf = cloudfrontPurge({
        distributionId: 'E2XYZ',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
        paths: (tags) => tags.map((t) => `/${t.replace(':', '/')}`),
        baseUrl: api.base,
      })
      await cf(['product:7'])
      await cf.paths(['/products/*', '/a&b'])
      expect(api.calls.map((c) => c.url)).toEqual([
        '/2020-05-31/distribution/E2XYZ/invalidation',
        '/2020-05-31/distribution/E2XYZ/invalidation',
      ])
      expect(api.calls[0]!.body).toContain('<Quantity>1</Quantity><Items><Path>/product/7</Path></Items>')
      expect(api.calls[1]!.body).toContain('<Items><Path>/products/*</Path><Path>/a&amp;b</Path></Items>')
    } finally {
      await api.close()
    }
  })
})

describe.skipIf(!hasRedis)('one invalidateTags reaches L1, L2, the reverse proxy and the CDN', () => {
  const prefix = uniquePrefix('edge')
  const closers: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const c of closers.reverse()) await c()
  })

  it('cache.invalidateTags(["product:7"]) in one call', async () => {
    const cdn = await vendorApis()
    closers.push(cdn.close)
    const db = { price: 10 }
    // The origin's server first (its app needs the cache, whose purge hook needs the proxy's address).
    let app: express.Express | undefined
    const origin = await listen(http.createServer((q, r) => app!(q, r)))
    closers.push(origin.close)
    const proxyToken = 'proxy-admin-token'
    const proxy = createProxy({ origin: origin.base, adminToken: proxyToken })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const proxyBase = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
    closers.push(() => new Promise((r) => proxy.close(r)))
    const cache = createCache({
      tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })],
      bus: redisBus({ url: REDIS_URL, channel: `${prefix}bus` }),
      ttl: '1h',
      purge: [
        proxyPurge({ url: `${proxyBase}/.cachestack/purge`, token: proxyToken }),
        fastlyPurge({ serviceId: 'svc', token: 'fastly-token', soft: true, baseUrl: cdn.base }),
      ],
    })
    closers.push(() => cache.close())
    const price = () => cache.getOrSet('product:7', () => ({ ...db }), { tags: ['product:7'] })
    app = express()
    app.get('/products/7', cached({ cache, ttl: '1h', tags: ['product:7'], surrogateKeys: true }), async (_q, r) => {
      r.set('cache-control', 'public, max-age=3600').json(await price())
    })
    // Another process's view of the same L2.
    const other = createCache({
      tiers: [memoryStore(), redisStore({ url: REDIS_URL, prefix })],
      bus: redisBus({ url: REDIS_URL, channel: `${prefix}bus` }),
      ttl: '1h',
    })
    closers.push(() => other.close())

    expect(JSON.parse((await request(proxyBase, '/products/7')).body)).toEqual({ price: 10 })
    expect((await request(proxyBase, '/products/7')).headers['cache-status']).toMatch(/hit/)
    expect(await other.getOrSet('product:7', () => ({ price: -1 }), { tags: ['product:7'] })).toEqual({ price: 10 })

    db.price = 20
    await cache.invalidateTags(['product:7'])

    expect(await price()).toEqual({ price: 20 }) // L1 and L2
    // Another process: its L1 hears of it over the bus.
    await expect.poll(() => other.get('product:7')).toEqual({ price: 20 })
    expect(JSON.parse((await request(proxyBase, '/products/7')).body)).toEqual({ price: 20 }) // the proxy refetched
    expect(cdn.calls).toHaveLength(1) // the CDN: a soft purge of the key
    expect(cdn.calls[0]).toMatchObject({ url: '/service/svc/purge' })
    expect(cdn.calls[0]!.headers['surrogate-key']).toBe('product:7')
    expect(cdn.calls[0]!.headers['fastly-soft-purge']).toBe('1')
  })

  it('a failing hook: the others still run, the tiers are invalidated, and the call rejects with ERR_CACHE_PURGE', async () => {
    const cdn = await vendorApis()
    closers.push(cdn.close)
    const cache = createCache({
      tiers: [memoryStore()],
      purge: [
        fastlyPurge({ serviceId: 'svc', token: 'wrong', baseUrl: cdn.base }),
        cloudflarePurge({ zoneId: 'z', token: 'cf-token', baseUrl: `${cdn.base}/client/v4` }),
      ],
    })
    closers.push(() => cache.close())
    await cache.set('k', 1, { tags: ['t'] })
    const err = await cache.invalidateTags(['t']).catch((e: unknown) => e)
    expect(isCacheError(err, 'ERR_CACHE_PURGE')).toBe(true)
    expect((err as Error).message).toMatch(/1 of 2 purge hooks failed .*purge\[0\]: Fastly purge failed with HTTP 403/)
    expect(await cache.get('k')).toBeUndefined()
    expect(cdn.calls.map((c) => c.url)).toEqual(['/service/svc/purge', '/client/v4/zones/z/purge_cache'])
  })
})
