import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type Server } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { type CacheError, isCacheError } from '../../src/index.js'
import { nodeRateLimit, type RateLimitStore, rateLimit } from '../../src/ratelimit.js'
import { listen } from '../session/helpers.js'

/** A client whose server is gone: ioredis keeps reconnecting, and the store answers at once. */
function deadClient(): Redis {
  const client = new Redis({ port: 1, host: '127.0.0.1', retryStrategy: () => 50, lazyConnect: false })
  client.on('error', () => {})
  return client
}

async function untilStatus(client: Redis, status: string): Promise<void> {
  while (client.status !== status) await new Promise((r) => setTimeout(r, 10))
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

describe('when the store fails', () => {
  it('fails open by default: admits, reports the error on the result and to onError', async () => {
    const client = deadClient()
    await untilStatus(client, 'reconnecting')
    const errors: CacheError[] = []
    const limiter = rateLimit({ store: client, limit: 1, window: '1m', onError: (e) => errors.push(e) })
    try {
      const first = await limiter.consume('a')
      const second = await limiter.consume('a')
      expect(first.allowed && second.allowed).toBe(true)
      expect(isCacheError(first.error, 'ERR_CACHE_UNAVAILABLE')).toBe(true)
      expect(first.error?.message).toMatch(/admitted \(failOpen\)/)
      expect(errors).toHaveLength(2)
    } finally {
      client.disconnect()
    }
  })

  it('fails closed when asked: refuses, and the middleware answers 503 with Retry-After', async () => {
    const client = deadClient()
    await untilStatus(client, 'reconnecting')
    const limiter = rateLimit({ store: client, limit: 5, window: '30s', failOpen: false })
    const guard = nodeRateLimit(limiter)
    const server = await listen(
      createHttpServer(async (req, res) => {
        if (await guard(req, res)) res.end('ok')
      }),
    )
    try {
      expect((await limiter.consume('a')).allowed).toBe(false)
      const res = await fetch(server.url)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('30')
      expect(res.headers.get('ratelimit-policy')).toBe('"default";q=5;w=30')
      expect(res.headers.get('ratelimit')).toBe(null) // no numbers to give
    } finally {
      await server.close()
      client.disconnect()
    }
  })

  it('a store that does not answer within the timeout counts as failed (ERR_CACHE_TIMEOUT)', async () => {
    // Accepts connections and never answers: ioredis waits for its ready check forever.
    const sockets = new Set<import('node:net').Socket>()
    const silent: Server = createServer((s) => sockets.add(s))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const client = new Redis({ port: (silent.address() as { port: number }).port, host: '127.0.0.1' })
    client.on('error', () => {})
    try {
      const open = rateLimit({ store: client, limit: 1, window: '1m', timeout: 50 })
      const result = await open.consume('a')
      expect(result.allowed).toBe(true)
      expect(isCacheError(result.error, 'ERR_CACHE_TIMEOUT')).toBe(true)
      const closed = rateLimit({ store: client, limit: 1, window: '1m', timeout: 50, failOpen: false })
      expect((await closed.consume('a')).allowed).toBe(false)
    } finally {
      client.disconnect()
      for (const s of sockets) s.destroy()
      silent.close()
    }
  })

  it('a store that throws synchronously is handled like one that rejects', async () => {
    const store: RateLimitStore = {
      name: 'broken',
      remote: false,
      consume() {
        throw new Error('boom')
      },
      reset() {},
    }
    const result = await rateLimit({ store, limit: 1, window: '1m' }).consume('a')
    expect(result.allowed).toBe(true)
    expect(result.error?.cause).toEqual(new Error('boom'))
  })
})

let redisServerPath: string | undefined
try {
  redisServerPath = execFileSync('which', ['redis-server']).toString().trim() || undefined
} catch {
  redisServerPath = undefined
}
if (redisServerPath === undefined) {
  if (process.env.CI === 'true') throw new Error('redis-server is not installed (scripts/servers/redis.sh)')
  console.warn('skipping the Redis restart test: redis-server is not installed')
}

describe.skipIf(redisServerPath === undefined)('a real Redis that goes down and comes back', () => {
  let proc: ChildProcess | undefined
  const start = (port: number) =>
    new Promise<ChildProcess>((resolve, reject) => {
      const child = spawn(redisServerPath!, ['--port', String(port), '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let out = ''
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (/Ready to accept connections/.test(out)) resolve(child)
      })
      child.on('error', reject)
    })
  afterAll(() => {
    proc?.kill('SIGKILL')
  })

  it('counts, fails open while it is down, and counts again once it is back', async () => {
    const port = await freePort()
    proc = await start(port)
    const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 20 })
    client.on('error', () => {})
    const limiter = rateLimit({ store: client, limit: 2, window: '1h' })
    try {
      expect((await limiter.consume('a')).error).toBeUndefined()
      expect((await limiter.consume('a')).allowed).toBe(true)
      expect((await limiter.consume('a')).allowed).toBe(false)
      proc.kill('SIGKILL')
      await untilStatus(client, 'reconnecting')
      const down = await limiter.consume('a')
      expect(down.allowed).toBe(true)
      expect(isCacheError(down.error, 'ERR_CACHE_UNAVAILABLE')).toBe(true)
      proc = await start(port) // an empty Redis: counting starts afresh
      await untilStatus(client, 'ready')
      expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 1 })
      expect((await limiter.consume('a')).error).toBeUndefined()
      expect((await limiter.consume('a')).allowed).toBe(false)
    } finally {
      client.disconnect()
    }
  })
})
