/**
 * `cachestack proxy`: the caching reverse proxy from the command line. The
 * runnable script is `proxy.ts` beside this file; a `cachestack` command
 * with subcommands calls {@link runProxyCommand} for `proxy`.
 *
 * ```sh
 * node dist/esm/cli/proxy.js --origin http://127.0.0.1:3000 --port 8080 \
 *   [--store memory|sqlite:PATH|redis://…] [--max-object-size 10mb] [--max-size 1gb]
 *   [--origin-max-sockets 256] [--config file.json]
 * ```
 *
 * Flags override the config file (JSON, `createProxy` options plus `port`,
 * `host` and `store`). The admin token may come from `CACHESTACK_ADMIN_TOKEN`
 * rather than the command line, where other users could read it.
 * @module
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import type { Cache } from '../core/cache.js'
import { parseSize, type Size } from '../core/duration.js'
import { createCache, memoryStore } from '../index.js'
import { createProxy, type ProxyOptions, type ProxyServer } from '../proxy.js'
import type { Io } from './io.js'

/** What the CLI reads from flags and the config file. */
export interface ProxyCliConfig extends Omit<ProxyOptions, 'cache' | 'clock' | 'origin'> {
  /** The origin (required, from the flag or the file). */
  origin?: string
  /** The port to listen on (0 picks a free one). @defaultValue 8080 */
  port?: number
  /** The address to listen on. @defaultValue `'0.0.0.0'` */
  host?: string
  /** `memory`, `sqlite:PATH` or a `redis://` URL (with a bus, so purges reach every instance). @defaultValue `'memory'` */
  store?: string
  /**
   * Serve the cachestack dashboard for the proxy's cache on this port, on
   * 127.0.0.1 (behind the admin token when one is set). @defaultValue off
   */
  dashboardPort?: number
}

const USAGE = `Usage: cachestack proxy --origin URL [options]

  --origin URL             the origin to forward to (required), e.g. http://127.0.0.1:3000
  --port N                 port to listen on (default 8080; 0 picks a free port)
  --host ADDR              address to listen on (default 0.0.0.0)
  --store SPEC             memory (default) | sqlite:PATH | redis://HOST:PORT[/DB]
  --max-object-size SIZE   largest body stored (default 10mb); larger ones stream through
  --max-size SIZE          memory tier bound (default 256mb)
  --grace DURATION         serve stale while revalidating in the background (default 0)
  --keep DURATION          keep stale responses for revalidation (default 1h)
  --stale-if-error DUR     serve stale when the origin fails (default 0)
  --origin-max-sockets N   most connections open to the origin at once; a burst of misses
                           waits for a free one (default 256)
  --collapse-wait DUR      with a redis store, wait this long for another instance's fetch
                           of the same URL rather than fetch it again (default 5s; 0: off)
  --trust-forwarded        pass X-Forwarded-* / Forwarded from a trusted proxy in front
                           (keyed on); without it a client's values are dropped
  --admin-token TOKEN      enable POST /.cachestack/purge (or CACHESTACK_ADMIN_TOKEN)
  --dashboard-port N       serve the live dashboard on 127.0.0.1:N (token-protected when set)
  --config FILE            JSON file with the same options (flags win)
  --help                   this text
`

/** Parses the command line (without `node script`) into a config. */
export function parseProxyArgs(argv: readonly string[]): ProxyCliConfig & { help?: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      origin: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      store: { type: 'string' },
      'max-object-size': { type: 'string' },
      'max-size': { type: 'string' },
      grace: { type: 'string' },
      keep: { type: 'string' },
      'stale-if-error': { type: 'string' },
      'collapse-wait': { type: 'string' },
      'origin-max-sockets': { type: 'string' },
      'admin-token': { type: 'string' },
      'trust-forwarded': { type: 'boolean' },
      'dashboard-port': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  const file: ProxyCliConfig = values.config === undefined ? {} : readConfig(values.config)
  const cfg: ProxyCliConfig & { help?: boolean } = { ...file }
  if (values.origin !== undefined) cfg.origin = values.origin
  if (values.port !== undefined) cfg.port = portFlag('--port', values.port)
  if (values.host !== undefined) cfg.host = values.host
  if (values.store !== undefined) cfg.store = values.store
  if (values['max-object-size'] !== undefined) cfg.maxObjectSize = values['max-object-size']
  if (values['max-size'] !== undefined) cfg.maxSize = values['max-size']
  if (values.grace !== undefined) cfg.grace = values.grace
  if (values.keep !== undefined) cfg.keep = values.keep
  if (values['stale-if-error'] !== undefined) cfg.staleIfError = values['stale-if-error']
  if (values['collapse-wait'] !== undefined) cfg.collapseWait = values['collapse-wait']
  if (values['origin-max-sockets'] !== undefined) {
    const v = values['origin-max-sockets'].trim()
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN
    if (!(n >= 1)) {
      throw new Error(
        `--origin-max-sockets must be a whole number of connections, at least 1; got ${JSON.stringify(values['origin-max-sockets'])}`,
      )
    }
    cfg.originMaxSockets = n
  }
  if (values['trust-forwarded'] === true) cfg.trustForwarded = true
  if (values['dashboard-port'] !== undefined) cfg.dashboardPort = portFlag('--dashboard-port', values['dashboard-port'])
  const token = values['admin-token'] ?? process.env.CACHESTACK_ADMIN_TOKEN
  if (token !== undefined && token !== '') cfg.adminToken = token
  if (values.help === true) cfg.help = true
  return cfg
}

/** The config file's options, or an error naming the file and what is wrong with it. */
function readConfig(path: string): ProxyCliConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read --config ${path}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new Error(`--config ${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`--config ${path} must hold a JSON object of options, such as {"origin": "http://127.0.0.1:3000"}`)
  }
  return parsed as ProxyCliConfig
}

/** A port from a flag: a whole number from 0 to 65535, else an error naming the flag. */
function portFlag(flag: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN
  if (!(n >= 0 && n <= 65535))
    throw new Error(`${flag} must be a port number from 0 to 65535; got ${JSON.stringify(value)}`)
  return n
}

/** Checks a port read from the config file. */
function checkPort(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  // "8080" in a JSON file is as good as 8080 (listen() took both before ports were checked).
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value
  if (!(Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 65535)) {
    throw new Error(`"${name}" must be a port number from 0 to 65535; got ${JSON.stringify(value)}`)
  }
  return n as number
}

/** Builds the cache a `--store` spec names. Redis and SQLite load only when asked for. */
export async function cacheForStore(spec: string, maxSize: Size | undefined): Promise<Cache> {
  const l1 = memoryStore({ maxBytes: parseSize(maxSize ?? '256mb', 'maxSize'), maxEntries: 100_000 })
  if (spec === 'memory') return createCache({ tiers: [l1] })
  if (spec.startsWith('sqlite:')) {
    const { sqliteStore } = await import('../sqlite.js')
    return createCache({ tiers: [l1, sqliteStore({ path: spec.slice('sqlite:'.length) })] })
  }
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    const { redisStore, redisBus } = await import('../redis.js')
    return createCache({ tiers: [l1, redisStore({ url: spec })], bus: redisBus({ url: spec }) })
  }
  throw new Error(`--store must be memory, sqlite:PATH or redis://…, got ${JSON.stringify(spec)}`)
}

/** Starts the proxy a config describes; resolves the listening server. */
export async function startProxy(cfg: ProxyCliConfig): Promise<ProxyServer> {
  if (cfg.origin === undefined) throw new Error('--origin is required (for example --origin http://127.0.0.1:3000)')
  const { port: portOption, host, store, dashboardPort: dashboardOption, ...options } = cfg
  const port = checkPort('port', portOption)
  const dashboardPort = checkPort('dashboardPort', dashboardOption)
  const cache = await cacheForStore(store ?? 'memory', cfg.maxSize)
  let closeDashboard: (() => Promise<void>) | undefined
  let server: ProxyServer | undefined
  try {
    server = createProxy({ ...options, origin: cfg.origin, cache })
    if (dashboardPort !== undefined) {
      const { serveDashboard } = await import('../dashboard.js')
      const auth = cfg.adminToken === undefined ? {} : { auth: { token: cfg.adminToken } }
      const d = await serveDashboard(cache, { port: dashboardPort, ...auth })
      closeDashboard = () => d.close()
      process.stdout.write(`cachestack dashboard on ${d.url}\n`)
    }
    const listening = server
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject)
      listening.listen(port ?? 8080, host ?? '0.0.0.0', () => resolve())
    })
  } catch (err) {
    // A Redis store holds connections open: without closing it the process would
    // print the error and then never exit.
    await closeDashboard?.().catch(() => {})
    server?.close()
    await cache.close().catch(() => {})
    throw err
  }
  server.on('close', () => {
    closeDashboard?.().catch(() => {})
    cache.close().catch(() => {})
  })
  return server
}

/** Where the command writes, and how it learns it should stop (the `cachestack` CLI's shape). */
export type ProxyCommandIo = Io

/**
 * Runs `cachestack proxy` with `argv` (the arguments after `proxy`) until
 * `io.untilStopped()` resolves; resolves the exit code (2 for a bad command line).
 */
export async function runProxyCommand(argv: readonly string[], io: ProxyCommandIo): Promise<number> {
  let cfg: ReturnType<typeof parseProxyArgs>
  try {
    cfg = parseProxyArgs(argv)
  } catch (err) {
    io.err(`cachestack proxy: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (cfg.help === true || cfg.origin === undefined) {
    if (cfg.help === true) io.out(USAGE)
    else io.err(`cachestack proxy: --origin is required\n\n${USAGE}`)
    return cfg.help === true ? 0 : 2
  }
  delete cfg.help
  let server: ProxyServer
  try {
    server = await startProxy(cfg)
  } catch (err) {
    io.err(`cachestack proxy: ${(err as Error).message}`)
    return 1
  }
  const { address, port } = server.address() as AddressInfo
  io.out(`cachestack proxy listening on http://${address}:${port} -> ${cfg.origin}`)
  await io.untilStopped()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return 0
}
