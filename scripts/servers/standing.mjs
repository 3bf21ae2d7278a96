// The standing servers the tests, benchmarks and demo use: one Redis and one
// PostgreSQL (database `test`, user `postgres`, trust auth on loopback), run from
// the machine's binaries with their data in a temporary folder. One module for
// three callers:
//
//   scripts/test-servers.sh start|stop|status|env   (this file's command line)
//   test/setup/servers.ts                           (vitest global setup)
//   bench/lib/servers.ts                            (npm run bench)
//
// The project's own ports (16379, 15432) are used instead of the standard ones,
// so a developer's own Redis on 6379 or PostgreSQL on 5432 is never touched.
// `start` runs the servers there, in the background, until `stop`; a test run or
// benchmark that finds nothing answering there starts private instances on free
// ports and stops them when it ends. Every caller learns the addresses from the
// same two variables, REDIS_URL and DATABASE_URL.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

const HOST = '127.0.0.1'
/** The project's own ports for the standing servers (env CACHESTACK_REDIS_PORT / CACHESTACK_PG_PORT). */
export const STANDING_PORTS = {
  redis: Number(process.env.CACHESTACK_REDIS_PORT || 16379),
  postgres: Number(process.env.CACHESTACK_PG_PORT || 15432),
}
/** The command that installs the binaries, named in every "missing" message. */
export const INSTALL_HINT = 'scripts/test-servers.sh install (as root)'

const uid = typeof process.getuid === 'function' ? process.getuid() : 0
/** Where `start` keeps data, logs and pid files (env CACHESTACK_SERVERS_DIR). */
export const STATE_DIR = process.env.CACHESTACK_SERVERS_DIR || join(tmpdir(), `cachestack-servers-${uid}`)

export const redisUrl = (port) => `redis://${HOST}:${port}`
export const postgresUrl = (port) => `postgres://postgres@${HOST}:${port}/test`

// ---------------------------------------------------------------------------
// Binaries

/** The path of `name` on PATH, or (for PostgreSQL's) in Debian's /usr/lib/postgresql/<v>/bin; undefined if absent. */
export function findBinary(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name)
  }
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    for (const v of versions) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name)
  }
  return undefined
}

const BINARIES = { redis: ['redis-server'], postgres: ['initdb', 'postgres'] }

/** The binaries of `kind` that are missing here (empty when it can run). */
export function missingBinaries(kind) {
  return BINARIES[kind].filter((b) => findBinary(b) === undefined)
}

// ---------------------------------------------------------------------------
// Probes

function connectOnce(port, send, timeoutMs) {
  return new Promise((resolve) => {
    const socket = new Socket()
    let reply = ''
    const done = (value) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(value)
    }
    const timer = setTimeout(() => done(send ? undefined : false), timeoutMs)
    socket.once('error', () => done(send ? undefined : false))
    socket.on('data', (d) => {
      reply += d.toString('latin1')
      if (reply.includes('\n')) done(reply)
    })
    socket.connect(port, HOST, () => {
      if (send) socket.write(send)
      else done(true)
    })
  })
}

/** Whether a Redis answers PING on `port`. */
export async function redisAnswers(port, timeoutMs = 500) {
  const reply = await connectOnce(port, 'PING\r\n', timeoutMs)
  return typeof reply === 'string' && reply.startsWith('+PONG')
}

/** Whether the PostgreSQL on `port` accepts `postgres` into database `test`. */
export async function postgresAnswers(port, timeoutMs = 2000) {
  if (!(await connectOnce(port, undefined, timeoutMs))) return false
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: postgresUrl(port), connectionTimeoutMillis: timeoutMs })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

async function waitUntil(what, check, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} while starting`)
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms`)
}

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

// ---------------------------------------------------------------------------
// Starting

/** PostgreSQL refuses to run as root: run its binaries as the `postgres` user then. */
function postgresIdentity() {
  if (uid !== 0) return {}
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  try {
    return { uid: id('-u'), gid: id('-g') }
  } catch {
    throw new Error('PostgreSQL cannot run as root and there is no `postgres` user: install the postgresql package')
  }
}

function logTo(dir, name) {
  return join(dir, `${name}.log`)
}

/**
 * Starts a Redis on `port` with its data in `dir`. `detached` leaves it running
 * after this process ends (for `start`); otherwise it dies with its parent.
 */
export async function startRedis({ port, dir, detached = false }) {
  mkdirSync(dir, { recursive: true })
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir]
  args.push('--logfile', logTo(dir, 'redis'), '--protected-mode', 'no', '--daemonize', 'no')
  const child = spawn(findBinary('redis-server'), args, { stdio: 'ignore', detached })
  await waitUntil(`redis-server on port ${port} (log: ${logTo(dir, 'redis')})`, () => redisAnswers(port), child)
  if (detached) child.unref()
  return { kind: 'redis', pid: child.pid, port, url: redisUrl(port), child }
}

/** Starts a PostgreSQL on `port` with a fresh cluster in `dir` and a database `test`. */
export async function startPostgres({ port, dir, detached = false }) {
  const who = postgresIdentity()
  mkdirSync(dir, { recursive: true })
  const data = join(dir, 'data')
  if (who.uid !== undefined) chownSync(dir, who.uid, who.gid)
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const init = spawnSync(
      findBinary('initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...who, encoding: 'utf8' },
    )
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error}`)
  }
  const settings = {
    listen_addresses: HOST,
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '300',
    logging_collector: 'off',
  }
  const args = ['-D', data, '-p', String(port)]
  for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`)
  const { openSync } = await import('node:fs')
  const log = openSync(logTo(dir, 'postgres'), 'a')
  if (who.uid !== undefined) chownSync(logTo(dir, 'postgres'), who.uid, who.gid)
  const child = spawn(findBinary('postgres'), args, { ...who, stdio: ['ignore', log, log], detached })
  const up = () => connectOnce(port, undefined, 500)
  await waitUntil(`postgres on port ${port} (log: ${logTo(dir, 'postgres')})`, up, child)
  const { default: pg } = await import('pg')
  const admin = new pg.Client({ host: HOST, port, user: 'postgres', database: 'postgres' })
  await waitUntil(
    `postgres on port ${port} accepting connections`,
    () =>
      admin.connect().then(
        () => true,
        () => false,
      ),
    child,
  )
  const exists = await admin.query(`select 1 from pg_database where datname = 'test'`)
  if (exists.rowCount === 0) await admin.query('create database test')
  await admin.end()
  if (detached) child.unref()
  return { kind: 'postgres', pid: child.pid, port, url: postgresUrl(port), child }
}

const STARTERS = { redis: startRedis, postgres: startPostgres }
const ANSWERS = { redis: redisAnswers, postgres: postgresAnswers }
const ENV = { redis: 'REDIS_URL', postgres: 'DATABASE_URL' }
const URLS = { redis: redisUrl, postgres: postgresUrl }

function stopChild(child, dir) {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer)
      if (dir) rmSync(dir, { recursive: true, force: true })
      resolve()
    }
    if (child.exitCode !== null || child.signalCode !== null) return finish()
    // SIGINT is PostgreSQL's "fast" shutdown; Redis exits on it too.
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', finish)
    child.kill('SIGINT')
  })
}

/**
 * Finds a Redis and a PostgreSQL that answer, for a test run or a benchmark: a
 * URL already in the environment (REDIS_URL, DATABASE_URL) is kept as it is;
 * else the standing servers (`scripts/test-servers.sh start`) are used when
 * they answer; else private ones are started on free ports, in temporary
 * folders, from the installed binaries. A kind whose binaries are missing is
 * reported in `missing`, with the install command.
 *
 * `exportAs` names the variables the URLs are written to (default REDIS_URL and
 * DATABASE_URL, which the benchmarks' children read). The tests write them to
 * CACHESTACK_TEST_* instead, so that an app a test starts (the demo reads
 * REDIS_URL and DATABASE_URL) keeps its embedded default unless the test asks.
 *
 * @returns the URLs, what is missing, and `stop()` (or, in an 'exit' handler,
 * `stopNow()`) for what this call started.
 */
export async function ensureServers(kinds = ['redis', 'postgres'], { log = () => {}, exportAs = ENV } = {}) {
  const started = []
  const missing = []
  const urls = {}
  await Promise.all(
    kinds.map(async (kind) => {
      const given = process.env[exportAs[kind]] || process.env[ENV[kind]]
      if (given) {
        urls[kind] = given
        process.env[exportAs[kind]] = given
        return
      }
      if (await ANSWERS[kind](STANDING_PORTS[kind])) {
        urls[kind] = URLS[kind](STANDING_PORTS[kind])
        log(`${kind}: using the standing server at ${urls[kind]}`)
      } else if (missingBinaries(kind).length > 0) {
        missing.push(`${kind} (missing ${missingBinaries(kind).join(', ')}: run ${INSTALL_HINT})`)
        return
      } else {
        const dir = mkdtempSync(join(tmpdir(), `cachestack-${kind}-`))
        const server = await STARTERS[kind]({ port: await freePort(), dir })
        started.push({ ...server, dir })
        urls[kind] = server.url
        log(`${kind}: started ${server.url} (pid ${server.pid}, data in ${dir})`)
      }
      process.env[exportAs[kind]] = urls[kind]
    }),
  )
  const stop = () => Promise.all(started.map((s) => stopChild(s.child, s.dir))).then(() => {})
  // For an 'exit' handler, where nothing can be awaited.
  const stopNow = () => {
    for (const s of started) {
      s.child.kill('SIGKILL')
      rmSync(s.dir, { recursive: true, force: true })
    }
  }
  return { urls, missing, started, stop, stopNow }
}

// ---------------------------------------------------------------------------
// The command line: start | stop | status | env

function pidFile(kind) {
  return join(STATE_DIR, `${kind}.pid`)
}

function readPid(kind) {
  try {
    const pid = Number(readFileSync(pidFile(kind), 'utf8').trim())
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}

function writeEnvFile() {
  const lines = Object.entries(ENV).map(([kind, name]) => `${name}=${URLS[kind](STANDING_PORTS[kind])}`)
  writeFileSync(join(STATE_DIR, 'env'), `${lines.join('\n')}\n`)
}

async function commandStart(kinds) {
  mkdirSync(STATE_DIR, { recursive: true })
  // PostgreSQL runs as its own user when we are root: it must reach its folder.
  chmodSync(STATE_DIR, 0o755)
  for (const kind of kinds) {
    const port = STANDING_PORTS[kind]
    const pid = readPid(kind)
    if (pid) {
      console.log(`${kind}: already running (pid ${pid}) at ${URLS[kind](port)}`)
      continue
    }
    if (await ANSWERS[kind](port)) {
      console.log(`${kind}: something not started by this script answers on port ${port}; using it`)
      continue
    }
    const lacking = missingBinaries(kind)
    if (lacking.length > 0) throw new Error(`${kind}: missing ${lacking.join(', ')}: run ${INSTALL_HINT}`)
    const server = await STARTERS[kind]({ port, dir: join(STATE_DIR, kind), detached: true })
    writeFileSync(pidFile(kind), `${server.pid}\n`)
    console.log(`${kind}: started (pid ${server.pid}) at ${server.url}`)
  }
  writeEnvFile()
  console.log(`env: ${join(STATE_DIR, 'env')}`)
}

async function commandStop(kinds) {
  for (const kind of kinds) {
    const pid = readPid(kind)
    if (!pid) {
      console.log(`${kind}: not started by this script`)
      continue
    }
    process.kill(pid, 'SIGINT')
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && readPid(kind)) await new Promise((r) => setTimeout(r, 100))
    if (readPid(kind)) process.kill(pid, 'SIGKILL')
    rmSync(pidFile(kind), { force: true })
    rmSync(join(STATE_DIR, kind), { recursive: true, force: true })
    console.log(`${kind}: stopped (pid ${pid})`)
  }
}

async function commandStatus(kinds) {
  let allUp = true
  for (const kind of kinds) {
    const port = STANDING_PORTS[kind]
    const pid = readPid(kind)
    const up = await ANSWERS[kind](port)
    allUp &&= up
    const who = pid ? `started by this script (pid ${pid})` : up ? 'not started by this script' : 'not running'
    console.log(`${kind}: ${up ? 'answering' : 'not answering'} at ${URLS[kind](port)}, ${who}`)
  }
  return allUp
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href
if (isMain) {
  const [command, ...rest] = process.argv.slice(2)
  const kinds = rest.length > 0 ? rest : ['redis', 'postgres']
  for (const k of kinds) if (!ENV[k]) throw new Error(`unknown server "${k}" (redis or postgres)`)
  try {
    if (command === 'start') await commandStart(kinds)
    else if (command === 'stop') await commandStop(kinds)
    else if (command === 'status') process.exitCode = (await commandStatus(kinds)) ? 0 : 1
    else if (command === 'env') {
      for (const kind of kinds) console.log(`export ${ENV[kind]}=${URLS[kind](STANDING_PORTS[kind])}`)
    } else {
      console.error('usage: standing.mjs start|stop|status|env [redis] [postgres]')
      process.exitCode = 2
    }
  } catch (error) {
    console.error(String(error instanceof Error ? error.message : error))
    process.exitCode = 1
  }
}
