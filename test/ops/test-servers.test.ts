// scripts/test-servers.sh as a developer and CI use it: `check` installs
// nothing, `start`/`status`/`stop` manage the standing Redis and PostgreSQL on
// the ports they are given, and `stop` never stops what `start` did not start.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { freePort, missingServers, startRedis } from '../helpers/servers.js'

const root = join(import.meta.dirname, '../..')
const script = join(root, 'scripts/test-servers.sh')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `cs-test-servers-${name}-`))
  dirs.push(d)
  return d
}

function run(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync('bash', [script, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } })
  return { code: res.status, out: `${res.stdout}${res.stderr}` }
}

describe('scripts/test-servers.sh check', () => {
  it('reports what is missing and installs nothing, even when a server is absent', () => {
    // A PATH where apt-get and sudo only record that they were called, and
    // where nginx (in /usr/sbin) and the others cannot be found.
    const bin = tempDir('bin')
    const calls = join(bin, 'calls.log')
    for (const name of ['apt-get', 'sudo']) {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${calls}\n`)
      chmodSync(join(bin, name), 0o755)
    }
    const { code, out } = run(['check'], { PATH: `${bin}:/bin` })
    expect(existsSync(calls)).toBe(false)
    expect(code).toBe(1)
    expect(out).toContain('nginx')
    expect(out).toContain('scripts/test-servers.sh install')
  })

  it('an unknown command is refused with the usage line', () => {
    const { code, out } = run(['instal'])
    expect(code).toBe(2)
    expect(out).toContain('usage:')
  })
})

describe.skipIf(missingServers('redis') !== undefined)('scripts/test-servers.sh start | status | stop', () => {
  it('starts Redis and PostgreSQL on the ports it is given, answers status and env, and stops them', async () => {
    const env = {
      CACHESTACK_SERVERS_DIR: tempDir('state'),
      CACHESTACK_REDIS_PORT: String(await freePort()),
      CACHESTACK_PG_PORT: String(await freePort()),
    }
    const started = run(['start'], env)
    onTestFinished(() => {
      run(['stop'], env)
    })
    expect(started.code, started.out).toBe(0)
    expect(started.out).toContain(`redis: started`)
    expect(started.out).toContain(`postgres: started`)

    const status = run(['status'], env)
    expect(status.code, status.out).toBe(0)
    expect(status.out).toContain(`answering at redis://127.0.0.1:${env.CACHESTACK_REDIS_PORT}, started by this script`)
    expect(status.out).toContain(`answering at postgres://postgres@127.0.0.1:${env.CACHESTACK_PG_PORT}/test`)
    expect(run(['env'], env).out).toContain(`export REDIS_URL=redis://127.0.0.1:${env.CACHESTACK_REDIS_PORT}`)

    // The database `test` takes connections as user postgres, without a password.
    const pg = (await import('pg')).default
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${env.CACHESTACK_PG_PORT}/test` })
    await client.connect()
    expect((await client.query('select current_database() as db')).rows[0].db).toBe('test')
    await client.end()

    expect(run(['start'], env).out).toContain('already running')
    const stopped = run(['stop'], env)
    expect(stopped.code, stopped.out).toBe(0)
    const after = run(['status'], env)
    expect(after.code).toBe(1)
    expect(after.out).toContain('not answering')
  }, 60_000)

  it('leaves alone a server it did not start', async () => {
    const own = await startRedis()
    const env = { CACHESTACK_SERVERS_DIR: tempDir('state'), CACHESTACK_REDIS_PORT: String(own.port) }
    expect(run(['start', 'redis'], env).out).toContain('not started by this script')
    expect(run(['stop', 'redis'], env).out).toContain('redis: not started by this script')
    expect(run(['status', 'redis'], env).out).toContain(`answering at ${own.url}, not started by this script`)
    await own.stop()
  })
})
