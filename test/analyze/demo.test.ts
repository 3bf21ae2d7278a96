/**
 * The "done": on the demo, with caching off and recording on, the
 * analyzer ranks first what the demo caches (the pricing API, the product API
 * route, the categories query behind the sidebar), and flags the pages that
 * show a view counter as volatile.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../../examples/demo/app.js'
import { requestMix } from '../../examples/demo/load.js'
import { type Candidate, rankCandidates } from '../../src/analyze.js'

describe('the analyzer on the demo', { timeout: 120_000 }, () => {
  let demo: Demo
  let ranking: Candidate[]
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-demo-analyze-'))
  beforeAll(async () => {
    // Its own SQLite file: with caching off every product page writes a view, and the shared test
    // PostgreSQL's view counts are what test/demo/demo.test.ts checks.
    const url = process.env.DATABASE_URL
    delete process.env.DATABASE_URL
    try {
      demo = await startDemo({ port: 0, dataDir: dir, caching: false, analyze: true, redisUrl: '', pricingDelay: 20 })
    } finally {
      if (url !== undefined) process.env.DATABASE_URL = url
    }
    expect(demo.db.kind).toBe('sqlite')
    const mix = requestMix(800)
    for (let i = 0; i < mix.length; i += 10) {
      await Promise.all(mix.slice(i, i + 10).map((p) => fetch(`${demo.url}${p}`).then((r) => r.arrayBuffer())))
    }
    const recording = (await (await fetch(`${demo.url}/_demo/recording`)).json()) as Parameters<
      typeof rankCandidates
    >[0]
    ranking = rankCandidates(recording)
  }, 120_000)
  afterAll(async () => {
    await demo.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('puts what the demo caches at the top', () => {
    const top = ranking.slice(0, 5)
    const names = top.map((c) => `${c.kind} ${c.name}`)
    expect(names.slice(0, 2)).toEqual(['function pricing API', 'route GET /api/products/:id'])
    expect(top.slice(0, 2).map((c) => c.suggestion)).toEqual(['memoize', 'route cache'])
    // Below them, timings of fast queries move with the machine's load: the sidebar's query is among the next three.
    expect(
      names.slice(2).some((n) => /^query SELECT category, count\(\*\)/.test(n)),
      names.join('\n'),
    ).toBe(true)
    for (const c of top) expect(c.concerns.filter((k) => k.concern !== 'fast')).toEqual([])
  })

  it('flags the product page (it shows a view counter) and leaves the plumbing out', () => {
    const page = ranking.find((c) => c.name === 'GET /product/:id')!
    expect(page.concerns.map((c) => c.concern)).toContain('volatile')
    expect(page.savedMsPerSecond).toBe(0)
    expect(ranking.some((c) => c.name.startsWith('GET /_'))).toBe(false)
  })
})
