/**
 * The dashboard's Analyzer page on a real server: the ranking as a table, the
 * two charts, the JSON beside it, the link from the main page, and names from
 * the app escaped (a function name is the app's, a route can be the visitor's).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { analyze, createRecorder, recordFunction } from '../../src/analyze.js'
import { dashboard } from '../../src/dashboard.js'
import { createCache } from '../../src/index.js'

let server: Server
let base: string
const cache = createCache()
const recorder = createRecorder()
const board = dashboard(cache, { analyzer: recorder, title: 'shop' })

beforeAll(async () => {
  const mw = analyze(recorder, { skip: (req) => req.url!.startsWith('/_cachestack') })
  const slow = recordFunction(recorder, '<img src=x onerror=alert(1)>', async (id: number) => {
    await new Promise((r) => setTimeout(r, 5))
    return id * 2
  })
  server = createServer((req, res) => {
    board(req, res, () =>
      mw(req, res, async () => {
        res.end(String(await slow(Number(req.url!.split('/')[2]))))
      }),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (let i = 0; i < 30; i++) await (await fetch(`${base}/items/${i % 3}`)).text()
})

afterAll(async () => {
  board.close()
  await new Promise<void>((r) => server.close(() => r()))
})

describe('the Analyzer page', () => {
  it('shows the ranking, the charts, and escapes names', async () => {
    const res = await fetch(`${base}/_cachestack/analyze`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/)
    const html = await res.text()
    expect(html).toContain('<code>route GET /items/:id</code>')
    expect(html).toContain('function &#60;img src=x onerror=alert(1)&#62;')
    expect(html).not.toContain('<img src=x')
    expect(html).toContain('Latency vs repetition')
    expect(html).toMatch(/An L1 of \d+ entries \(tinylfu\)/)
    expect((html.match(/<svg /g) ?? []).length).toBe(2)
  })

  it('serves the same ranking as JSON, and the main page links to it', async () => {
    const data = (await (await fetch(`${base}/_cachestack/api/analyze`)).json()) as {
      candidates: { name: string; suggestion: string }[]
      recording: { targets: unknown[]; trace?: unknown }
    }
    expect(data.candidates.map((c) => c.name).sort()).toEqual(['<img src=x onerror=alert(1)>', 'GET /items/:id'])
    expect(data.recording.targets).toHaveLength(2)
    expect(data.recording.trace).toBeUndefined()
    expect(await (await fetch(`${base}/_cachestack/`)).text()).toContain('href="/_cachestack/analyze"')
  })

  it('is not there without an analyzer', async () => {
    const plain = dashboard(cache)
    try {
      const res = await plain.fetch(new Request('http://x/_cachestack/analyze'))
      expect(res.status).toBe(404)
      expect(await (await plain.fetch(new Request('http://x/_cachestack/'))).text()).not.toContain('/analyze"')
    } finally {
      plain.close()
    }
  })
})
