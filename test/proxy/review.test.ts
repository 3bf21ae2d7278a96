/**
 * Defects found in review, each reproduced against real servers.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { parseProxyArgs, startProxy } from '../../src/cli/proxy-command.js'
import { REDIS_URL, redisAvailable } from '../helpers/redis.js'
import { type Rig, request, rig, status } from './helpers.js'

const hasRedis = await redisAvailable()

let r: Rig | undefined
afterEach(async () => {
  await r?.close()
  r = undefined
})

describe('cache poisoning through unkeyed forwarding headers', () => {
  it('a client X-Forwarded-Host never reaches a response that is stored for everyone', async () => {
    r = await rig((q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/html' })
      res.end(`<script src="//${q.headers['x-forwarded-host'] ?? q.headers.host}/app.js"></script>`)
    })
    await r.get('/page', { 'x-forwarded-host': 'evil.example' })
    const victim = await r.get('/page')
    expect(victim.body).not.toContain('evil.example')
  })

  it('a client X-Forwarded-Proto / Forwarded is not passed on either', async () => {
    r = await rig((q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60' })
      res.end(`${q.headers['x-forwarded-proto']}|${q.headers.forwarded ?? ''}`)
    })
    await r.get('/p', { 'x-forwarded-proto': 'https', forwarded: 'host=evil.example' })
    const victim = await r.get('/p')
    expect(victim.body).toBe('http|')
  })

  it('a client X-Forwarded-For is replaced by its address, not extended', async () => {
    r = await rig((q, res) => {
      res.writeHead(200, { 'cache-control': 'no-store' })
      res.end(`${q.headers['x-forwarded-for']}|${q.headers['x-real-ip'] ?? ''}`)
    })
    expect((await r.get('/ip', { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6' })).body).toBe('127.0.0.1|')
  })

  it('trustForwarded extends X-Forwarded-For and does not key on addresses', async () => {
    r = await rig(
      (q, res) => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        res.end(String(q.headers['x-forwarded-for']))
      },
      { trustForwarded: true },
    )
    expect((await r.get('/a', { 'x-forwarded-for': '10.0.0.1' })).body).toBe('10.0.0.1, 127.0.0.1')
    expect((await r.get('/a', { 'x-forwarded-for': '10.0.0.2' })).body).toBe('10.0.0.1, 127.0.0.1')
    expect(r.hits()).toBe(1)
  })

  it('trustForwarded keys on the host and proto of Forwarded, not on the client it names', async () => {
    r = await rig(
      (q, res) => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        res.end(String(q.headers.forwarded))
      },
      { trustForwarded: true },
    )
    await r.get('/f', { forwarded: 'for=192.0.2.1;proto=https;host=shop.example' })
    await r.get('/f', { forwarded: 'for=192.0.2.2;proto=https;host=shop.example' })
    expect(r.hits()).toBe(1)
    await r.get('/f', { forwarded: 'for=192.0.2.2;proto=http;host=shop.example' })
    expect(r.hits()).toBe(2)
  })

  it('--trust-forwarded sets trustForwarded', () => {
    expect(parseProxyArgs(['--origin', 'http://127.0.0.1:9', '--trust-forwarded']).trustForwarded).toBe(true)
    expect(parseProxyArgs(['--origin', 'http://127.0.0.1:9']).trustForwarded).toBeUndefined()
  })

  it('a method override never reaches a fetch whose answer is stored', async () => {
    r = await rig((q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60' })
      res.end(String(q.headers['x-http-method-override'] ?? 'GET'))
    })
    await r.get('/m', { 'x-http-method-override': 'DELETE' })
    expect((await r.get('/m')).body).toBe('GET')
  })

  it('trustForwarded passes the fields on and keys on them', async () => {
    r = await rig(
      (q, res) => {
        res.writeHead(200, { 'cache-control': 'max-age=60' })
        res.end(String(q.headers['x-forwarded-proto']))
      },
      { trustForwarded: true },
    )
    expect((await r.get('/t', { 'x-forwarded-proto': 'https' })).body).toBe('https')
    expect((await r.get('/t')).body).toBe('http')
    expect((await r.get('/t', { 'x-forwarded-proto': 'https' })).body).toBe('https')
    expect(r.hits()).toBe(2)
  })
})

describe('pass-through failures', () => {
  it('an origin that dies mid-body on a POST ends the client response with an error, not a hang', async () => {
    r = await rig((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('partial')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const outcome = await new Promise<string>((resolve) => {
      const url = new URL(r!.proxy)
      const req = http.request(
        { host: url.hostname, port: url.port, path: '/x', method: 'POST', agent: false },
        (res) => {
          res.on('data', () => {})
          res.on('end', () => resolve(res.complete ? 'complete' : 'incomplete'))
          res.on('error', () => resolve('error'))
          res.on('aborted', () => resolve('aborted'))
          res.on('close', () => resolve(res.complete ? 'complete' : 'closed'))
        },
      )
      req.on('error', () => resolve('error'))
      req.end('body')
    })
    expect(outcome).not.toBe('complete')
  }, 3000)
})

describe('grace', () => {
  it('does not serve, stale, a response that was never fresh (no freshness, no validators)', async () => {
    r = await rig(
      (_q, res, n) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(`dynamic ${n}`)
      },
      { grace: '1m' },
    )
    const a = await r.get('/cart')
    const b = await r.get('/cart')
    expect(a.body).toBe('dynamic 1')
    expect(b.body).toBe('dynamic 2')
    expect(status(b)).not.toMatch(/hit/)
  })
})

describe('staleIfError option', () => {
  it('does not serve another request a response that was never fresh when the origin fails', async () => {
    r = await rig(
      (_q, res, n) => {
        if (n > 1) {
          res.writeHead(500)
          res.end('down')
          return
        }
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end('alice')
      },
      { staleIfError: '1h' },
    )
    expect((await r.get('/me')).body).toBe('alice')
    const b = await r.get('/me')
    expect(b.status).toBe(500)
    expect(b.body).toBe('down')
  })

  it('still serves a response that was fresh once', async () => {
    r = await rig(
      (_q, res, n) => {
        if (n > 1) {
          res.writeHead(500)
          res.end('down')
          return
        }
        res.writeHead(200, { 'cache-control': 'max-age=1' })
        res.end('ok')
      },
      { staleIfError: '1h' },
    )
    await r.get('/fresh-once')
    r.clock.advance('5s')
    const b = await r.get('/fresh-once')
    expect(b.body).toBe('ok')
    expect(status(b)).toMatch(/stale-if-error/)
  })
})

describe('originTimeout', () => {
  it('bounds the wait for headers only: a body that pauses longer still arrives whole', async () => {
    r = await rig(
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('a')
        setTimeout(() => res.end('b'), 300)
      },
      { originTimeout: 100 },
    )
    const reply = await request(r.proxy, '/slow').catch((e: Error) => ({ status: -1, headers: {}, body: e.message }))
    expect(reply.body).toBe('ab')
  })

  it('bodyTimeout cuts a body that stays silent longer, and nothing is stored', async () => {
    r = await rig(
      (_q, res, n) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' })
        res.write(`a${n}`)
        if (n > 1) res.end()
      },
      { bodyTimeout: 100 },
    )
    const cut = await request(r.proxy, '/stall').then(
      () => 'complete',
      () => 'cut',
    )
    expect(cut).toBe('cut')
    expect((await r.get('/stall')).body).toBe('a2')
  })

  it('still answers 504 when the headers do not come in time', async () => {
    r = await rig(() => {}, { originTimeout: 100 })
    expect((await r.get('/never')).status).toBe(504)
  })
})

describe('cachestack proxy start-up errors', () => {
  const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
  const children: ChildProcess[] = []
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  })
  const run = (args: string[]) =>
    new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, 'proxy', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      children.push(child)
      let err = ''
      child.stderr!.on('data', (c: Buffer) => {
        err += c.toString()
      })
      child.once('exit', (code) => resolve({ code, err }))
    })

  it.skipIf(!hasRedis)(
    'exits after a bad option even with a Redis store open',
    async () => {
      const { code, err } = await run(['--origin', 'notaurl', '--store', REDIS_URL])
      expect(err).toMatch(/origin/)
      expect(code).toBe(1)
    },
    10_000,
  )

  it.skipIf(!hasRedis)(
    'exits when the port is taken, with a Redis store open',
    async () => {
      const taken = http.createServer()
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
      const port = (taken.address() as { port: number }).port
      try {
        const { code, err } = await run([
          '--origin',
          'http://127.0.0.1:9',
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--store',
          REDIS_URL,
        ])
        expect(err).toMatch(/EADDRINUSE/)
        expect(code).toBe(1)
      } finally {
        taken.close()
      }
    },
    10_000,
  )

  it('a config file that is not JSON is named in the error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-proxy-config-'))
    const file = join(dir, 'proxy.json')
    writeFileSync(file, '{"origin": ')
    try {
      const { code, err } = await run(['--config', file])
      expect(code).toBe(2)
      expect(err).toContain(`--config ${file} is not valid JSON`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 10_000)

  it('a port given as a string of digits in the config file is taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-proxy-config-'))
    const file = join(dir, 'proxy.json')
    writeFileSync(file, JSON.stringify({ origin: 'http://127.0.0.1:9', host: '127.0.0.1', port: '0' }))
    try {
      const server = await startProxy(parseProxyArgs(['--config', file]))
      expect(server.listening).toBe(true)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a port that is not a number is a usage error naming the flag', async () => {
    const { code, err } = await run(['--origin', 'http://127.0.0.1:9', '--port', 'abc'])
    expect(err).toMatch(/--port/)
    expect(code).toBe(2)
  }, 10_000)
})
