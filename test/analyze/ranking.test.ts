/**
 * The analyzer ranks a real app right: a synthetic node:http app with a slow
 * stable route, a fast route, a personalised route and a volatile query
 * (better-sqlite3), driven with real requests and recorded by the middleware
 * and the query wrapper.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analyze,
  type Candidate,
  createRecorder,
  formatRanking,
  type Recorder,
  rankCandidates,
  recordQueries,
} from '../../src/analyze.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
// A query that takes a few milliseconds and returns a different number each time.
const VOLATILE = `with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000)
  select sum(x) + abs(random() % 1000000) as v from c where x > ?`

let server: Server
let base: string
let recorder: Recorder
let ranking: Candidate[]

beforeAll(async () => {
  recorder = createRecorder()
  const db = recordQueries(new Database(':memory:'), recorder)
  const volatile = db.prepare(VOLATILE)
  const mw = analyze(recorder)
  server = createServer((req, res) => {
    mw(req, res, async () => {
      const url = new URL(req.url!, 'http://x')
      if (url.pathname.startsWith('/slow/')) {
        await sleep(15)
        res.end(JSON.stringify({ product: url.pathname.slice(6), name: 'a stable thing' }))
      } else if (url.pathname.startsWith('/fast/')) {
        res.end(`fast ${url.pathname}`)
      } else if (url.pathname === '/me') {
        await sleep(15)
        res.setHeader('set-cookie', 'seen=1')
        res.end(`hello ${req.headers.cookie}`)
      } else if (url.pathname === '/volatile') {
        res.end(JSON.stringify(volatile.get(Number(url.searchParams.get('n')))))
      } else {
        res.statusCode = 404
        res.end()
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const urls: { url: string; headers?: Record<string, string> }[] = []
  for (let round = 0; round < 12; round++) {
    for (let id = 1; id <= 4; id++) {
      urls.push({ url: `/slow/${id}` }, { url: `/fast/${id}` }, { url: `/volatile?n=${id}` })
      urls.push({ url: '/me', headers: { cookie: `user=u${id}` } })
    }
  }
  for (let i = 0; i < urls.length; i += 8) {
    await Promise.all(
      urls
        .slice(i, i + 8)
        .map(({ url, headers }) => fetch(base + url, headers ? { headers } : {}).then((r) => r.text())),
    )
  }
  ranking = rankCandidates(recorder.snapshot())
})

afterAll(() => new Promise<void>((r) => server.close(() => r())))

const find = (name: string) => {
  const c = ranking.find((x) => x.name === name)
  expect(c, `${name} in ${ranking.map((x) => x.name).join(', ')}`).toBeDefined()
  return c!
}

describe('the ranking of a synthetic app', () => {
  it('puts the slow stable route first, with a route cache', () => {
    const first = ranking[0]!
    expect(`${first.kind} ${first.name}`).toBe('route GET /slow/:id')
    expect(first.suggestion).toBe('route cache')
    expect(first.concerns).toEqual([])
    expect(first.changeRate).toBe(0)
    expect(first.hitRatio).toBeGreaterThan(0.8)
    expect(first.ttlMs).toBeGreaterThanOrEqual(1000)
  })

  it('ranks the fast route below it and says why', () => {
    const fast = find('GET /fast/:id')
    expect(ranking.indexOf(fast)).toBeGreaterThan(0)
    expect(fast.savedMsPerSecond).toBeLessThan(ranking[0]!.savedMsPerSecond / 5)
    expect(fast.concerns.map((c) => c.concern)).toContain('fast')
  })

  it('marks the personalised route and suggests headers only', () => {
    const me = find('GET /me')
    expect(me.personalShare).toBe(1)
    expect(me.suggestion).toBe('HTTP headers only')
    expect(me.concerns.map((c) => c.concern)).toContain('personalised')
    expect(me.savedMsPerSecond).toBe(0)
  })

  it('marks the volatile query (and the route serving it) and suggests no cache', () => {
    const q = ranking.find((c) => c.kind === 'query')!
    expect(q.name).toMatch(/^with recursive c\(x\) as \(select \? union all/)
    expect(q.changeRate).toBe(1)
    expect(q.suggestion).toBe('none')
    expect(q.concerns.map((c) => c.concern)).toContain('volatile')
    const route = find('GET /volatile')
    expect(route.concerns.map((c) => c.concern)).toContain('volatile')
    expect(route.savedMsPerSecond).toBe(0)
    // Both below every candidate worth caching.
    expect(ranking.indexOf(q)).toBeGreaterThan(ranking.indexOf(find('GET /fast/:id')))
  })

  it('prints the ranking for people', () => {
    const text = formatRanking(ranking, recorder.snapshot())
    expect(text).toMatch(/^240 calls over/)
    expect(text).toContain('1  route GET /slow/:id')
    expect(text).toMatch(/personalised: 100 % of calls carry Authorization or Cookie/)
  })
})
