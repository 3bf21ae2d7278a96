/**
 * Each recording adapter names routes by their pattern, keys calls by URL,
 * digests bodies and sees credentials, on real Express, Fastify and Hono
 * servers; the pg wrapper records reads with their tables and writes with the
 * tables they touched, against the test PostgreSQL.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import {
  analyze,
  analyzeFastify,
  analyzeHono,
  createRecorder,
  type Recorder,
  recordFunction,
  recordQueries,
} from '../../src/analyze.js'
import { postgresTable } from '../helpers/postgres.js'

const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of closers) await c()
})

async function drive(base: string): Promise<void> {
  for (const id of [1, 2, 1, 1]) await (await fetch(`${base}/api/items/${id}?v=1`)).text()
  await (await fetch(`${base}/api/me`, { headers: { cookie: 'sid=abc' } })).text()
  await (await fetch(`${base}/api/items/1`, { method: 'POST' })).text()
}

function expectRecorded(recorder: Recorder): void {
  const rec = recorder.snapshot()
  const byName = new Map(rec.targets.map((t) => [t.name, t]))
  expect([...byName.keys()].sort()).toEqual(['GET /api/items/:id', 'GET /api/me'])
  const items = byName.get('GET /api/items/:id')!
  expect(items.calls).toBe(4)
  expect(items.keys).toBe(2)
  // Item 1 was read three times: twice it came back within a second, with the same body.
  expect(items.repeats.within1s).toBe(2)
  expect(items.stability).toMatchObject({ compared: 2, changed: 0 })
  expect(items.personal).toBe(0)
  expect(byName.get('GET /api/me')!.personal).toBe(1)
}

describe('recording adapters', () => {
  it('Express: the matched route, with the router mount path', async () => {
    const recorder = createRecorder()
    const app = express()
    app.use(analyze(recorder))
    const api = express.Router()
    api.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id })
    })
    api.post('/items/:id', (_req, res) => {
      res.json({ ok: true })
    })
    api.get('/me', (req, res) => {
      res.send(`you are ${req.headers.cookie}`)
    })
    app.use('/api', api)
    const server = app.listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    closers.push(() => new Promise((r) => server.close(() => r())))
    await drive(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    expectRecorded(recorder)
  })

  it('Fastify: the route pattern from routeOptions', async () => {
    const recorder = createRecorder()
    const app = Fastify()
    await app.register(analyzeFastify(recorder))
    app.get('/api/items/:id', async (req) => ({ id: (req.params as { id: string }).id }))
    app.post('/api/items/:id', async () => ({ ok: true }))
    app.get('/api/me', async (req) => `you are ${req.headers.cookie}`)
    await app.listen({ port: 0, host: '127.0.0.1' })
    closers.push(() => app.close())
    await drive(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)
    expectRecorded(recorder)
  })

  it('Hono: the route that answered, body digested from a clone', async () => {
    const recorder = createRecorder()
    const app = new Hono()
    app.use('*', analyzeHono(recorder))
    app.get('/api/items/:id', (c) => c.json({ id: c.req.param('id') }))
    app.post('/api/items/:id', (c) => c.json({ ok: true }))
    app.get('/api/me', (c) => c.text(`you are ${c.req.header('cookie')}`))
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((r) => server.once('listening', r))
    closers.push(() => new Promise((r) => server.close(() => r())))
    await drive(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    // The body digest is taken in the background: let it land.
    await new Promise((r) => setTimeout(r, 50))
    expectRecorded(recorder)
  })

  it('node:http: bodies written in chunks are digested whole; a skipped request is not recorded', async () => {
    const recorder = createRecorder()
    const record = analyze(recorder, { skip: (req) => req.url === '/health' })
    let n = 0
    const server = createServer((req, res) =>
      record(req, res, () => {
        res.write('same head, ')
        res.end(req.url === '/changing' ? `tail ${n++}` : 'same tail')
      }),
    )
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    closers.push(() => new Promise((r) => server.close(() => r())))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    for (const path of ['/changing', '/changing', '/changing', '/stable', '/stable', '/stable', '/health']) {
      expect(await (await fetch(base + path)).text()).toMatch(/^same head, /)
    }
    const byName = new Map(recorder.snapshot().targets.map((t) => [t.name, t.stability]))
    expect([...byName.keys()].sort()).toEqual(['GET /changing', 'GET /stable'])
    expect(byName.get('GET /changing')).toMatchObject({ compared: 2, changed: 2 })
    expect(byName.get('GET /stable')).toMatchObject({ compared: 2, changed: 0 })
  })

  it('recordFunction: calls keyed by arguments, results digested, failures counted', async () => {
    const recorder = createRecorder()
    let n = 0
    const price = recordFunction(recorder, 'price', async (id: number) => {
      if (id < 0) throw new Error('no')
      return id === 2 ? n++ : id * 10
    })
    for (const id of [1, 1, 2, 2, 2]) await price(id)
    await expect(price(-1)).rejects.toThrow('no')
    const [t] = recorder.snapshot().targets
    expect(t).toMatchObject({ kind: 'function', name: 'price', calls: 6, errors: 1, keys: 2 })
    expect(t!.stability).toMatchObject({ compared: 3, changed: 2 })
  })
})

describe('recordQueries on PostgreSQL', () => {
  const pgt = postgresTable('analyze_items', (t) => [`create table ${t} (id int primary key, price int)`])

  it('records reads with their tables and writes with the tables they touched', async (ctx) => {
    if (pgt.pool === undefined) return ctx.skip()
    const recorder = createRecorder()
    const db = recordQueries(pgt.pool, recorder)
    const t = pgt.table
    await db.query(`insert into ${t} (id, price) values ($1, $2)`, [1, 100])
    for (let i = 0; i < 3; i++) await db.query(`select price from ${t} where id = $1`, [1])
    await db.query(`update ${t} set price = 120 where id = 1`)
    await db.query(`select price from ${t} where id = $1`, [1])
    const rec = recorder.snapshot()
    const read = rec.targets.find((x) => x.name === `select price from ${t} where id = $1`)!
    expect(read).toMatchObject({ kind: 'query', calls: 4, keys: 1, tablesRead: [t], tablesWritten: [] })
    expect(read.stability).toMatchObject({ compared: 3, changed: 1 })
    expect(rec.tableWrites).toEqual([{ table: t, writes: 2 }])
    // The pool is still the pool for everything else.
    expect(db.totalCount).toBeGreaterThanOrEqual(1)
  })
})
