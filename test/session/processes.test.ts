import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.js'
import { cookieOf, whoami } from './helpers.js'

const hasRedis = await redisAvailable()
const prefix = uniquePrefix('session-procs')
const fixture = fileURLToPath(new URL('./fixtures/session-server.ts', import.meta.url))
const children: ChildProcess[] = []

function startProcess(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, SESSION_PREFIX: prefix, REDIS_URL },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    children.push(child)
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /READY (\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.on('exit', (code) => reject(new Error(`session-server exited with ${code}`)))
  })
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit')
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

afterAll(async () => {
  await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map(stop))
  if (!hasRedis) return
  const client = new Redis(REDIS_URL)
  const keys = await client.keys(`${prefix}*`)
  if (keys.length > 0) await client.del(...keys)
  client.disconnect()
})

describe.skipIf(!hasRedis)('express-session in separate processes over one Redis', () => {
  it('a session survives a restart of its process; logout in one process ends it in every process', async () => {
    const first = await startProcess()
    const res = await fetch(`${first}/login`, { method: 'POST' })
    const cookie = cookieOf(res)
    // express-session holds the body's last byte until the session is stored: fetch resolves on the headers alone.
    expect(await res.text()).toBe('ok')
    await stop(children[0]!) // the process dies without a goodbye
    const [a, b, c] = await Promise.all([startProcess(), startProcess(), startProcess()])
    for (const url of [a!, b!, c!]) expect(await whoami(url, cookie)).toBe('ada')
    expect((await fetch(`${b}/logout`, { method: 'POST', headers: { cookie } })).status).toBe(200)
    for (const url of [a!, b!, c!]) expect(await whoami(url, cookie)).toBe(null)
  }, 60_000)
})
