// cachestack/next in a real Next.js app: test/integrations/next-app is built
// with `next build` and run as two `next start` instances over the test Redis;
// 'use cache' goes through nextCacheHandler, the data cache (fetch) through
// nextIncrementalCache.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.js'
import { freePort } from '../helpers/servers.js'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')
const app = join(import.meta.dirname, 'next-app')
const nextBin = join(root, 'node_modules/next/dist/bin/next')
const prefix = uniquePrefix('next')
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', REDIS_URL, CACHE_PREFIX: prefix, NODE_ENV: 'production' }

const hasRedis = await redisAvailable()

interface Stamp {
  id: string
  pid: number
}

/** Polls `read` until `done` holds (at most `ms`), returning the last value. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await read()
    if (done(v) || Date.now() > end) return v
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.skipIf(!hasRedis)('cachestack/next in a built Next.js app, two instances', () => {
  const children: ChildProcess[] = []
  const bases: string[] = []
  let origin: Server
  let originHits = 0

  beforeAll(async () => {
    await run(process.execPath, [nextBin, 'build', '--webpack'], { cwd: app, env, maxBuffer: 1 << 24 })
    origin = createServer((_req, res) => res.end(`origin-${++originHits}`))
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r))
    const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/`
    for (let i = 0; i < 2; i++) {
      const port = await freePort()
      const child = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
        cwd: app,
        env: { ...env, ORIGIN_URL: originUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(child)
      let log = ''
      child.stdout?.on('data', (d) => {
        log += String(d)
      })
      child.stderr?.on('data', (d) => {
        log += String(d)
      })
      const base = `http://127.0.0.1:${port}`
      const up = await until(
        () =>
          fetch(`${base}/revalidate`, { method: 'POST' }).then(
            (r) => r.ok,
            () => false,
          ),
        (ok) => ok,
        60_000,
      )
      if (!up) throw new Error(`next start did not answer on ${base}:\n${log}`)
      bases.push(base)
    }
  }, 240_000)

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM')
    origin?.close()
    const client = new Redis(REDIS_URL)
    const keys = await client.keys(`${prefix}*`)
    if (keys.length > 0) await client.del(...keys)
    client.disconnect()
  })

  const stamp = async (i: number, name = 'a'): Promise<Stamp> => {
    const res = await fetch(`${bases[i]}/stamp?name=${name}`)
    expect(res.status).toBe(200)
    return (await res.json()) as Stamp
  }
  const feed = async (i: number): Promise<string> => {
    const res = await fetch(`${bases[i]}/feed`)
    return ((await res.json()) as { body: string }).body
  }
  const revalidate = async (i: number, query: string): Promise<void> => {
    const res = await fetch(`${bases[i]}/revalidate?${query}`, { method: 'POST' })
    expect(res.status).toBe(200)
  }

  it("'use cache': an entry one instance made is served by the other", async () => {
    const first = await stamp(0, 'shared')
    const second = await stamp(1, 'shared')
    expect(second.pid).not.toBe(first.pid)
    expect(second.id).toBe(first.id)
    expect((await stamp(0, 'shared')).id).toBe(first.id)
  })

  it("'use cache': revalidateTag on one instance is seen by the other, and the old entry is never served again", async () => {
    const before = await stamp(0, 'b')
    expect((await stamp(1, 'b')).id).toBe(before.id)
    await revalidate(1, 'tag=items')
    // Next.js runs the revalidation as the request ends, around its response.
    const afterOnB = await until(
      () => stamp(1, 'b'),
      (s) => s.id !== before.id,
    )
    expect(afterOnB.id).not.toBe(before.id)
    // The other sees it through the shared tier and the bus.
    const afterOnA = await until(
      () => stamp(0, 'b'),
      (s) => s.id !== before.id,
    )
    expect(afterOnA.id).not.toBe(before.id)
    for (let i = 0; i < 10; i++) {
      expect((await stamp(i % 2, 'b')).id).not.toBe(before.id)
    }
    // Both now agree on the new entry.
    expect((await stamp(0, 'b')).id).toBe((await stamp(1, 'b')).id)
  })

  it("'use cache': a tag of one entry leaves the others alone", async () => {
    const c = await stamp(0, 'c')
    const d = await stamp(0, 'd')
    await revalidate(0, 'tag=item:c')
    const next = await until(
      () => stamp(0, 'c'),
      (s) => s.id !== c.id,
    )
    expect(next.id).not.toBe(c.id)
    expect((await stamp(1, 'd')).id).toBe(d.id)
  })

  it("'use cache': revalidatePath expires the entries read by that path (soft tags), on every instance", async () => {
    const before = await stamp(1, 'p')
    await revalidate(0, 'path=/stamp')
    const here = await until(
      () => stamp(0, 'p'),
      (s) => s.id !== before.id,
    )
    expect(here.id).not.toBe(before.id)
    const other = await until(
      () => stamp(1, 'p'),
      (s) => s.id !== before.id,
    )
    expect(other.id).not.toBe(before.id)
  })

  it("'use cache': revalidateTag(tag, 'max') serves the entry while it is refreshed, then the new one", async () => {
    const before = await stamp(0, 'm')
    await revalidate(1, 'tag=item:m&profile=max')
    const after = await until(
      () => stamp(0, 'm'),
      (s) => s.id !== before.id,
    )
    expect(after.id).not.toBe(before.id)
  })

  it('data cache: a fetch cached by one instance is reused by the other until its tag is revalidated', async () => {
    const first = await feed(0)
    expect(await feed(1)).toBe(first)
    const hits = originHits
    await revalidate(1, 'tag=feed')
    const onB = await until(
      () => feed(1),
      (b) => b !== first,
    )
    expect(onB).not.toBe(first)
    expect(originHits).toBe(hits + 1)
    const onA = await until(
      () => feed(0),
      (b) => b !== first,
    )
    expect(onA).toBe(onB)
    expect(originHits).toBe(hits + 1)
  })
})
