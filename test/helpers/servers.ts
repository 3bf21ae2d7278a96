/**
 * Real servers for tests: each test file starts its OWN instances on free ports
 * in temporary directories, and may stop, kill (SIGKILL) and restart them for
 * real, to prove fail-open and recovery. Everything started here is killed and
 * its directory removed when the test process exits.
 *
 * Binaries come from the machine (`scripts/test-servers.sh install` installs
 * the missing ones). {@link missingServers} tells a test whether to skip: with
 * `CI=true` a missing binary throws, so CI fails instead of skipping.
 * @module
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const HOST = '127.0.0.1'

/** The binaries each kind of server needs. */
const BINARIES = {
  redis: ['redis-server', 'redis-cli'],
  cluster: ['redis-server', 'redis-cli'],
  sentinel: ['redis-server', 'redis-cli'],
  memcached: ['memcached'],
  hazelcast: ['java'],
  ignite: ['java'],
} as const

/** Where scripts/servers/hazelcast.sh and ignite.sh keep the jars (outside the repository). */
export function jarsDir(): string {
  return (
    process.env.CACHESTACK_JARS ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cachestack', 'jars')
  )
}

/** The Hazelcast and Ignite versions the install scripts fetch (keep in step with scripts/servers/). */
export const HAZELCAST_VERSION = '5.5.0'
export const IGNITE_VERSION = '2.17.0'

/** Files (beyond binaries) a kind of server needs, installed by its scripts/servers/<kind>.sh. */
const FILES: Partial<Record<keyof typeof BINARIES, () => string[]>> = {
  hazelcast: () => [join(jarsDir(), `hazelcast-${HAZELCAST_VERSION}`, `hazelcast-${HAZELCAST_VERSION}.jar`)],
  ignite: () => [
    join(jarsDir(), `ignite-${IGNITE_VERSION}`, 'lib', `ignite-core-${IGNITE_VERSION}.jar`),
    join(jarsDir(), `ignite-${IGNITE_VERSION}`, 'classes', 'TestIgniteNode.class'),
  ],
}

/** A kind of server {@link missingServers} can check for. */
export type ServerKind = keyof typeof BINARIES

const present = new Map<string, boolean>()
function hasBinary(name: string): boolean {
  let ok = present.get(name)
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
    present.set(name, ok)
  }
  return ok
}

/**
 * Why the given servers cannot run here, or `undefined` when they can. With
 * `CI=true` a missing binary throws instead, so CI fails rather than skips.
 *
 * @example
 * ```ts
 * const missing = missingServers('memcached')
 * describe.skipIf(missing !== undefined)('memcached store', () => { ... })
 * ```
 */
export function missingServers(...kinds: ServerKind[]): string | undefined {
  const lacking = new Set<string>()
  for (const kind of kinds) {
    for (const bin of BINARIES[kind]) if (!hasBinary(bin)) lacking.add(bin)
    for (const file of FILES[kind]?.() ?? []) if (!existsSync(file)) lacking.add(file)
  }
  if (lacking.size === 0) return undefined
  const message = `missing ${[...lacking].join(', ')}: run \`scripts/test-servers.sh install\` (as root) to install them`
  if (process.env.CI === 'true') throw new Error(`CI=true and a test server is unavailable: ${message}`)
  console.warn(`[skip] ${message}`)
  return message
}

// ---------------------------------------------------------------------------
// Process bookkeeping: every child and directory is cleaned up at exit.

const children = new Set<ChildProcess>()
const dirs = new Set<string>()
process.once('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {}
  }
})

/** A temporary directory removed when the test process exits. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cachestack-${name}-`))
  dirs.add(dir)
  return dir
}

/** A free TCP port (and, with `busOffset`, `port + busOffset` free too: Redis Cluster's bus port). */
export async function freePort(busOffset = 0): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = busOffset ? 20_000 + Math.floor(Math.random() * 20_000) : await listenOnce(0)
    if (!busOffset) return port
    if ((await canListen(port)) && (await canListen(port + busOffset))) return port
  }
  throw new Error('no free port found')
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, HOST, () => {
      const addr = server.address()
      const got = typeof addr === 'object' && addr ? addr.port : port
      server.close(() => resolve(got))
    })
  })
}

function canListen(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  )
}

/** Sends `command` to `port` and resolves the first reply chunk, or rejects. */
function probe(port: number, command: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket()
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('probe timeout'))
    }, timeoutMs)
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.once('data', (data) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(data.toString('utf8'))
    })
    socket.connect(port, HOST, () => socket.write(command))
  })
}

/** Polls `check` until it resolves true, or throws after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`)
}

/** One server process that can be stopped, killed and started again on the same port and directory. */
export class Managed {
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()
  #output = ''

  constructor(
    readonly name: string,
    readonly port: number,
    readonly bin: string,
    readonly args: readonly string[],
    readonly cwd: string,
    /** Whether the server answers; `output` is the tail of what it printed since this start. */
    readonly ready: (output: string) => Promise<boolean>,
    /** How long a start may take (JVMs on a loaded machine take longer than redis-server). */
    readonly startTimeoutMs = 20_000,
  ) {}

  get running(): boolean {
    return this.#child !== undefined
  }

  async start(): Promise<void> {
    if (this.#child) return
    const child = spawn(this.bin, this.args as string[], { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child = child
    this.#output = ''
    children.add(child)
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-4000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        children.delete(child)
        if (this.#child === child) this.#child = undefined
        resolve()
      })
    })
    try {
      await waitFor(
        `${this.name} on port ${this.port}`,
        async () => {
          if (this.#child !== child) throw new Error(`${this.name} exited:\n${this.#output}`)
          return this.ready(this.#output)
        },
        this.startTimeoutMs,
      )
    } catch (err) {
      await this.kill()
      throw err
    }
  }

  /** SIGTERM, then waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.#child
    if (!child) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await this.#exited
    clearTimeout(timer)
  }

  /** SIGKILL: the server dies as in a crash. */
  async kill(): Promise<void> {
    const child = this.#child
    if (!child) return
    child.kill('SIGKILL')
    await this.#exited
  }

  async restart(): Promise<void> {
    await this.kill()
    await this.start()
  }

  /** Sends `signal` (SIGSTOP, SIGCONT) to the running process. */
  signal(signal: NodeJS.Signals): void {
    if (!this.#child) throw new Error(`${this.name} is not running`)
    this.#child.kill(signal)
  }
}

/** What every start function returns. */
export interface TestServer {
  /** The (first) port. */
  port: number
  /** A connection URL for the server (`redis://127.0.0.1:port`, `127.0.0.1:port`). */
  url: string
  /** Graceful shutdown; `restart()` starts it again. */
  stop(): Promise<void>
  /** SIGKILL, as in a crash; `restart()` starts it again. */
  kill(): Promise<void>
  /** Starts the server again on the same port (killing it first if it runs). */
  restart(): Promise<void>
}

function redisReady(port: number): () => Promise<boolean> {
  return async () => (await probe(port, 'PING\r\n')).startsWith('+PONG')
}

function redisArgs(port: number, dir: string, extra: readonly string[] = []): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...extra,
  ]
}

async function startRedisProcess(name: string, extra: readonly string[] = [], port?: number): Promise<Managed> {
  port ??= await freePort()
  const dir = tempDir(name)
  const server = new Managed(name, port, 'redis-server', redisArgs(port, dir, extra), dir, redisReady(port))
  await server.start()
  return server
}

/** Runs `redis-cli -p port ...args` and returns its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], { timeout: 10_000 })
  return stdout
}

/** A standalone redis-server that can also be frozen, as a server too loaded to answer. */
export interface TestRedis extends TestServer {
  /**
   * SIGSTOP: the kernel still accepts connections (up to the backlog), but
   * the server answers nothing until {@link TestRedis.resume}.
   */
  pause(): void
  /** SIGCONT: the paused server answers again, queued requests first. */
  resume(): void
}

/**
 * A standalone redis-server of this test's own, on a free port, with no
 * persistence (a restart comes back empty).
 */
export async function startRedis(): Promise<TestRedis> {
  const server = await startRedisProcess('redis')
  return {
    port: server.port,
    url: `redis://${HOST}:${server.port}`,
    stop: () => server.stop(),
    kill: () => server.kill(),
    restart: () => server.restart(),
    pause: () => server.signal('SIGSTOP'),
    resume: () => server.signal('SIGCONT'),
  }
}

/** A Redis Cluster of three masters (no replicas). `kill(i)`/`restart(i)` act on one node. */
export interface TestCluster extends Omit<TestServer, 'kill' | 'restart'> {
  ports: number[]
  /** Startup nodes, as ioredis' `Cluster` and node-redis' `createCluster` take them. */
  nodes: { host: string; port: number }[]
  kill(index?: number): Promise<void>
  restart(index?: number): Promise<void>
}

/** Three cluster-enabled masters, joined with `redis-cli --cluster create ... --cluster-yes`. */
export async function startRedisCluster(): Promise<TestCluster> {
  const servers: Managed[] = []
  for (let i = 0; i < 3; i++) {
    const port = await freePort(10_000)
    servers.push(
      await startRedisProcess(
        `cluster${i}`,
        ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
        port,
      ),
    )
  }
  const ports = servers.map((s) => s.port)
  await run(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { timeout: 30_000 },
  )
  const clusterOk = async () => {
    for (const port of ports) if (!(await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false
    return true
  }
  await waitFor('cluster_state:ok on every node', clusterOk)
  return {
    port: ports[0]!,
    ports,
    nodes: ports.map((port) => ({ host: HOST, port })),
    url: `redis://${HOST}:${ports[0]}`,
    stop: async () => {
      for (const s of servers) await s.stop()
    },
    kill: (index = 0) => servers[index]!.kill(),
    restart: async (index = 0) => {
      await servers[index]!.restart()
      await waitFor('cluster_state:ok after restart', clusterOk)
    },
  }
}

/** A master, a replica and two sentinels watching them under {@link TestSentinel.masterName}. */
export interface TestSentinel extends TestServer {
  masterName: string
  /** The ports of the original master and replica. */
  masterPort: number
  replicaPort: number
  /** The sentinels, as ioredis' `sentinels` option takes them. */
  sentinels: { host: string; port: number }[]
  /** The port sentinel reports as the master now. */
  currentMasterPort(): Promise<number>
  /** Waits until the sentinels report a master other than `port` (a failover happened). */
  waitForFailover(fromPort: number, timeoutMs?: number): Promise<number>
}

/**
 * A replica set watched by two sentinels (quorum 1, down-after 1 s): `kill()`
 * kills the original master for real, and the sentinels promote the replica.
 */
export async function startSentinel(): Promise<TestSentinel> {
  const masterName = 'cachestack-test'
  const master = await startRedisProcess('sentinel-master')
  const replica = await startRedisProcess('sentinel-replica', ['--replicaof', HOST, String(master.port)])
  await waitFor('replica in sync', async () =>
    (await redisCli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
  )
  const sentinels: Managed[] = []
  for (let i = 0; i < 2; i++) {
    const port = await freePort()
    const dir = tempDir(`sentinel${i}`)
    const conf = join(dir, 'sentinel.conf')
    writeFileSync(
      conf,
      [
        `port ${port}`,
        `bind ${HOST}`,
        `dir ${dir}`,
        'protected-mode no',
        `sentinel monitor ${masterName} ${HOST} ${master.port} 1`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 5000`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'),
    )
    const s = new Managed(`sentinel${i}`, port, 'redis-server', [conf, '--sentinel'], dir, redisReady(port))
    await s.start()
    sentinels.push(s)
  }
  // Sentinels learn of the replica and of each other through INFO and hello
  // messages (every 1-2 s); a failover needs both.
  await waitFor(
    'sentinels to see the replica and each other',
    async () => {
      for (const s of sentinels) {
        const replicas = await redisCli(s.port, 'SENTINEL', 'REPLICAS', masterName)
        const peers = await redisCli(s.port, 'SENTINEL', 'SENTINELS', masterName)
        if (!replicas.includes(String(replica.port)) || !peers.includes('name')) return false
      }
      return true
    },
    30_000,
  )
  const currentMasterPort = async () => {
    const out = (await redisCli(sentinels[0]!.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)).trim()
    return Number(out.split('\n')[1])
  }
  return {
    port: master.port,
    url: `redis://${HOST}:${master.port}`,
    masterName,
    masterPort: master.port,
    replicaPort: replica.port,
    sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
    currentMasterPort,
    waitForFailover: async (fromPort, timeoutMs = 30_000) => {
      let now = fromPort
      await waitFor(
        'sentinel failover',
        async () => {
          now = await currentMasterPort()
          if (now === fromPort) return false
          return (await redisCli(now, 'INFO', 'replication')).includes('role:master')
        },
        timeoutMs,
      )
      return now
    },
    stop: async () => {
      for (const s of [...sentinels, replica, master]) await s.stop()
    },
    kill: () => master.kill(),
    restart: () => master.restart(),
  }
}

/** A memcached of this test's own. */
export interface TestMemcached extends TestServer {
  /** The largest item the server accepts, in bytes (`-I`). */
  itemSize: number
  /** SIGSTOP: connections are still accepted by the kernel, but nothing is answered until {@link TestMemcached.resume}. */
  pause(): void
  /** SIGCONT: the paused server answers again. */
  resume(): void
}

/** A memcached on a free port; `itemSize` sets `-I` (default 1 MiB). */
export async function startMemcached(options: { itemSize?: number; memoryMb?: number } = {}): Promise<TestMemcached> {
  const port = await freePort()
  const dir = tempDir('memcached')
  const itemSize = options.itemSize ?? 1024 * 1024
  const args = ['-p', String(port), '-U', '0', '-l', HOST, '-m', String(options.memoryMb ?? 64), '-I', String(itemSize)]
  if (process.getuid?.() === 0) args.push('-u', 'root')
  const server = new Managed('memcached', port, 'memcached', args, dir, async () =>
    (await probe(port, 'version\r\n')).startsWith('VERSION'),
  )
  await server.start()
  return {
    port,
    url: `${HOST}:${port}`,
    itemSize,
    stop: () => server.stop(),
    kill: () => server.kill(),
    restart: () => server.restart(),
    pause: () => server.signal('SIGSTOP'),
    resume: () => server.signal('SIGCONT'),
  }
}
