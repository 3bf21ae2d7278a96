import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { cachedFetch } from '../../src/http.js'
import { createCache, manualClock, memoryStore } from '../../src/index.js'
import { listen, sleep } from './helpers.js'

interface Origin {
  base: string
  hits: http.IncomingHttpHeaders[]
  close: () => Promise<void>
}

/** A real origin whose answer the test sets per request. */
interface Answer {
  status?: number
  headers?: Record<string, string>
  body?: string
  delay?: number
}

async function origin(answer: (req: http.IncomingMessage, n: number) => Answer): Promise<Origin> {
  const hits: http.IncomingHttpHeaders[] = []
  const server = http.createServer(async (req, res) => {
    hits.push(req.headers)
    // No Date header: the tests move a manual clock, and a real Date would make responses look old.
    res.sendDate = false
    const a = answer(req, hits.length)
    if (a.delay !== undefined) await sleep(a.delay)
    res.writeHead(a.status ?? 200, a.headers ?? {})
    res.end(a.body ?? '')
  })
  const { base, close } = await listen(server)
  return { base, hits, close }
}

describe('cachedFetch', () => {
  let o: Origin | undefined
  afterEach(async () => {
    await o?.close()
    o = undefined
  })
  const setup = () => {
    const clock = manualClock(Date.now())
    const cache = createCache({ tiers: [memoryStore()], clock })
    return { clock, cache, f: cachedFetch({ cache, clock }) }
  }

  it('reuses a fresh response and reports its Age', async () => {
    o = await origin((_r, n) => ({ headers: { 'cache-control': 'max-age=60' }, body: `v${n}` }))
    const { clock, f } = setup()
    expect(await (await f(`${o.base}/weather`)).text()).toBe('v1')
    clock.advance('10s')
    const again = await f(`${o.base}/weather`)
    expect(await again.text()).toBe('v1')
    expect(again.headers.get('age')).toBe('10')
    expect(again.headers.get('cache-status')).toMatch(/hit/)
    expect(o.hits).toHaveLength(1)
    clock.advance('51s')
    expect(await (await f(`${o.base}/weather`)).text()).toBe('v2')
  })

  it('revalidates a stale response with If-None-Match and keeps the body on 304', async () => {
    o = await origin(
      (req): Answer =>
        req.headers['if-none-match'] === '"w1"'
          ? { status: 304, headers: { etag: '"w1"', 'cache-control': 'max-age=60' } }
          : {
              headers: { etag: '"w1"', 'cache-control': 'max-age=60', 'content-type': 'application/json' },
              body: '{"t":1}',
            },
    )
    const { clock, f } = setup()
    await (await f(`${o.base}/w`)).text()
    clock.advance('61s')
    const res = await f(`${o.base}/w`)
    expect(await res.json()).toEqual({ t: 1 })
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(o.hits[1]!['if-none-match']).toBe('"w1"')
    // refreshed by the 304: fresh again without another request
    await (await f(`${o.base}/w`)).text()
    expect(o.hits).toHaveLength(2)
  })

  it('serves stale within stale-if-error when the origin fails or is unreachable', async () => {
    let fail = false
    o = await origin(() =>
      fail
        ? { status: 503, body: 'down' }
        : { headers: { 'cache-control': 'max-age=10, stale-if-error=300' }, body: 'good' },
    )
    const { clock, f } = setup()
    await (await f(`${o.base}/x`)).text()
    clock.advance('20s')
    fail = true
    const res = await f(`${o.base}/x`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('good')
    expect(res.headers.get('cache-status')).toMatch(/stale-if-error/)
    const url = `${o.base}/x`
    await o.close()
    o = undefined
    expect(await (await f(url)).text()).toBe('good')
    clock.advance('1h')
    await expect(f(url)).rejects.toThrow()
  })

  it('serves stale while revalidating in the background', async () => {
    o = await origin((_r, n) => ({
      headers: { 'cache-control': 'max-age=10, stale-while-revalidate=60' },
      body: `v${n}`,
    }))
    const { clock, f } = setup()
    await (await f(`${o.base}/s`)).text()
    clock.advance('15s')
    expect(await (await f(`${o.base}/s`)).text()).toBe('v1')
    for (let i = 0; i < 100 && o.hits.length < 2; i++) await sleep(5)
    expect(o.hits).toHaveLength(2)
    // the background refresh lands in the cache a moment after the origin answers
    let body = ''
    for (let i = 0; i < 100 && body !== 'v2'; i++) {
      body = await (await f(`${o.base}/s`)).text()
      if (body !== 'v2') await sleep(5)
    }
    expect(body).toBe('v2')
    expect(o.hits).toHaveLength(2) // concurrent stale reads share the one refresh
  })

  it('coalesces concurrent identical requests into one', async () => {
    o = await origin(() => ({ headers: { 'cache-control': 'max-age=60' }, body: 'once', delay: 50 }))
    const { f } = setup()
    const bodies = await Promise.all(Array.from({ length: 10 }, async () => (await f(`${o!.base}/c`)).text()))
    expect(bodies.every((b) => b === 'once')).toBe(true)
    expect(o.hits).toHaveLength(1)
  })

  it('stores nothing marked no-store or setting a cookie; keeps private responses (a private cache)', async () => {
    o = await origin((req, n) => ({
      headers: <Record<string, string>>(
        (req.url === '/nostore'
          ? { 'cache-control': 'no-store' }
          : req.url === '/cookie'
            ? { 'cache-control': 'max-age=60', 'set-cookie': 'sid=1' }
            : { 'cache-control': 'private, max-age=60' })
      ),
      body: `v${n}`,
    }))
    const { f } = setup()
    for (const path of ['/nostore', '/cookie', '/private']) {
      await (await f(`${o.base}${path}`)).text()
      await (await f(`${o.base}${path}`)).text()
    }
    expect(o.hits.map((h) => h.host)).toHaveLength(5)
  })

  it('keeps credentials apart, honours Vary, and invalidates on POST', async () => {
    o = await origin((req, n) => ({
      headers: { 'cache-control': 'public, max-age=60', vary: 'accept-language' },
      body: `${String(req.headers.authorization)} ${String(req.headers['accept-language'])} ${n}`,
    }))
    const { f } = setup()
    const a = await (await f(`${o.base}/me`, { headers: { authorization: 'Bearer a' } })).text()
    const b = await (await f(`${o.base}/me`, { headers: { authorization: 'Bearer b' } })).text()
    expect(b).toMatch(/Bearer b/)
    expect(await (await f(`${o.base}/me`, { headers: { authorization: 'Bearer a' } })).text()).toBe(a)
    const fr = await (await f(`${o.base}/l`, { headers: { 'accept-language': 'fr' } })).text()
    const en = await (await f(`${o.base}/l`, { headers: { 'accept-language': 'en' } })).text()
    expect(en).not.toBe(fr)
    expect(en).toMatch(/en/)
    const before = o.hits.length
    await f(`${o.base}/l`, { method: 'POST', headers: { 'accept-language': 'en' } })
    await (await f(`${o.base}/l`, { headers: { 'accept-language': 'en' } })).text()
    expect(o.hits.length).toBe(before + 2)
  })

  it('honours request no-cache and only-if-cached', async () => {
    o = await origin((_r, n) => ({ headers: { 'cache-control': 'max-age=60' }, body: `v${n}` }))
    const { f } = setup()
    expect((await f(`${o.base}/n`, { headers: { 'cache-control': 'only-if-cached' } })).status).toBe(504)
    await (await f(`${o.base}/n`)).text()
    expect(await (await f(`${o.base}/n`, { headers: { 'cache-control': 'no-cache' } })).text()).toBe('v2')
    expect(await (await f(`${o.base}/n`, { headers: { 'cache-control': 'only-if-cached' } })).text()).toBe('v2')
  })
})
