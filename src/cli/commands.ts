/**
 * The CLI's commands. Each has its own `--help`; each prints for people by
 * default and JSON with `--json`, for scripts.
 * @module
 */
import { CacheError } from '../core/errors.js'
import { inspectKey, type KeyLookup } from '../dashboard/inspect.js'
import { serveDashboard } from '../dashboard/serve.js'
import { flag, intFlag, type Parsed, UsageError } from './args.js'
import type { Io } from './io.js'
import { openTarget, type Target } from './target.js'

export type { Io } from './io.js'

/** @internal */
export interface Command {
  name: string
  summary: string
  usage: string
  details: string
  /** The flags it reads besides the tier's (`--redis`, `--prefix`, `--sqlite`, `--table`) and `--json`/`--help`. */
  flags?: readonly string[]
  /** Resolves the exit code. */
  run(p: Parsed, io: Io): Promise<number>
}

const TIER_FLAGS = `Tier (one of):
  --redis URL        a Redis tier: redis://[user:pass@]host:6379[/db] or rediss:// (or CACHESTACK_REDIS_URL);
                     a node of a Redis Cluster is found to be one: every master is scanned, redirects followed
  --sentinel ADDRS   a Redis tier through Sentinel: host:26379[,host:26379…], with --master NAME (default "mymaster")
  --memcached ADDRS  a Memcached tier: host:11211[,host:11211…] (Memcached cannot list keys: no "keys")
  --prefix PREFIX    the Redis or Memcached tier's key prefix (default "cachestack:", as the stores)
  --sqlite PATH      a SQLite tier file (as sqliteStore's path)
  --table NAME       the SQLite tier's table prefix (default "cachestack")
Output:
  --json             print JSON (for scripts)`

function print(io: Io, p: Parsed, data: unknown, human: () => string): void {
  io.out(p.flags.json === true ? JSON.stringify(data, null, 2) : human())
}

async function withTarget(p: Parsed, fn: (t: Target) => Promise<number>): Promise<number> {
  const target = await openTarget(p)
  try {
    return await fn(target)
  } finally {
    await target.close()
  }
}

function one(p: Parsed, what: string, usage: string): string {
  const v = p.positionals[0]
  if (v === undefined || v === '') throw new UsageError(`Missing ${what}. Usage: ${usage}`)
  if (p.positionals.length > 1) throw new UsageError(`One ${what} at a time. Usage: ${usage}`)
  return v
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`
}

function describeLookup(l: KeyLookup, now: number): string {
  const lines: string[] = []
  for (const t of l.tiers) {
    if (t.error !== undefined) {
      lines.push(`${t.tier}: could not read it: ${t.error}`)
      continue
    }
    if (!t.found) {
      lines.push(`${t.tier}: not found`)
      continue
    }
    const why = t.invalidated === undefined ? '' : `invalidated (${t.invalidated.join(', ')}); `
    const when =
      t.state === 'fresh'
        ? `fresh for ${duration(t.freshUntil! - now)}`
        : `stale: ${why}servable for ${duration(t.staleUntil! - now)} if the source fails`
    lines.push(`${t.tier}: ${when}; ${t.type}; ${t.bytes} bytes${t.tags ? `; tags: ${t.tags.join(', ')}` : ''}`)
    if ('value' in t) lines.push(`value: ${JSON.stringify(t.value, null, 2)}`)
  }
  return `${l.key}\n${lines.map((x) => `  ${x}`).join('\n')}`
}

const stats: Command = {
  name: 'stats',
  summary: "the tier's entries, bytes and server figures",
  usage: 'cachestack stats TIER [--json]',
  details:
    'Entries and bytes the tier holds, its health, and what the server reports (Redis: keyspace hits and misses, memory, evictions; SQLite: file size).',
  run: (p, io) =>
    withTarget(p, async (t) => {
      const size = t.store.size === undefined ? undefined : await t.store.size()
      const info = await t.info()
      const data = { tier: t.label, entries: size?.entries, bytes: size?.bytes, ...info }
      print(io, p, data, () =>
        Object.entries(data)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k.padEnd(18)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
          .join('\n'),
      )
      return 0
    }),
}

const get: Command = {
  name: 'get',
  flags: ['values'],
  summary: 'look a key up: fresh or stale, type, size, tags and value',
  usage: 'cachestack get KEY TIER [--no-values] [--json]',
  details:
    'KEY is the full key, namespace included ("users:42"). Prints where it is, how long it stays fresh, its type, size and tags, and its value (--no-values leaves the value out). Exits 1 when the key is not there.',
  run: (p, io) =>
    withTarget(p, async (t) => {
      const key = one(p, 'KEY', get.usage)
      const now = Date.now()
      const lookup = await inspectKey(t.cache, key, now, p.flags.values !== false)
      const found = lookup.tiers.some((x) => x.found)
      print(io, p, { ...lookup, found }, () => describeLookup(lookup, now))
      return found ? 0 : 1
    }),
}

const del: Command = {
  name: 'del',
  summary: 'delete a key',
  usage: 'cachestack del KEY TIER [--json]',
  details:
    'Deletes KEY (the full key, namespace included) from the tier. Processes that keep it in their memory tier drop it when they share an invalidation bus.',
  run: (p, io) =>
    withTarget(p, async (t) => {
      const key = one(p, 'KEY', del.usage)
      const deleted = await t.cache.delete(key)
      print(io, p, { key, deleted }, () => (deleted ? `deleted ${key}` : `${key} was not there`))
      return 0
    }),
}

const invalidateTag: Command = {
  name: 'invalidate-tag',
  summary: 'invalidate every entry with a tag, in every process',
  usage: 'cachestack invalidate-tag TAG TIER [--json]',
  details:
    "Bumps TAG's shared version in the tier: every entry written with the tag is stale from now on, in every process that uses this tier. O(1): no key is scanned.",
  run: (p, io) =>
    withTarget(p, async (t) => {
      const tag = one(p, 'TAG', invalidateTag.usage)
      if (t.store.versions === undefined) {
        throw new CacheError(
          'ERR_CACHE_INVALID_OPTION',
          `${t.label} keeps no shared tag versions, so invalidating here would reach no other process.`,
        )
      }
      await t.cache.invalidateTags([tag])
      const [version] = await t.store.versions.read([tag])
      print(io, p, { tag, invalidated: true, version }, () => `invalidated tag ${tag} (version ${version})`)
      return 0
    }),
}

const keys: Command = {
  name: 'keys',
  flags: ['limit'],
  summary: 'list keys matching a pattern (bounded scan)',
  usage: 'cachestack keys PATTERN --redis URL | --sentinel ADDRS | --sqlite PATH [--limit N] [--json]',
  details:
    'PATTERN is a glob over full keys: * for any run of characters, ? for one ("users:*"). Redis is walked with SCAN (never KEYS) on every master of a Cluster, SQLite with an indexed range; at most --limit keys (default 100, at most 10000) are printed. Memcached cannot list keys.',
  run: (p, io) =>
    withTarget(p, async (t) => {
      const pattern = one(p, 'PATTERN', keys.usage)
      const limit = intFlag(p, 'limit', 100, 10_000)
      const found = await t.keys(pattern, limit)
      print(io, p, found, () => {
        const more = found.complete ? '' : `\n… (stopped at --limit ${limit})`
        return found.keys.length === 0 ? `no keys match ${pattern}` : `${found.keys.join('\n')}${more}`
      })
      return 0
    }),
}

const dashboardCommand: Command = {
  name: 'dashboard',
  flags: ['port', 'host', 'token', 'values'],
  summary: 'serve the live dashboard for a tier',
  usage: 'cachestack dashboard TIER [--port 4747] [--host 127.0.0.1] [--token TOKEN]',
  details:
    "Serves the dashboard until Ctrl-C. For Redis the chart shows the server's own keyspace hit ratio (every key on that server, not only the cache's); lookups, deletes and invalidations act on the tier. With --token (or CACHESTACK_TOKEN) its actions (look up, delete, invalidate) are enabled for whoever has the token; without, it is read-only. It listens on 127.0.0.1 unless --host says otherwise. Values are never shown unless --values is given.",
  async run(p, io) {
    const port = intFlag(p, 'port', 4747, 65_535)
    const host = flag(p, 'host') ?? '127.0.0.1'
    const token = flag(p, 'token') ?? process.env.CACHESTACK_TOKEN
    const target = await openTarget(p)
    try {
      const server = await serveDashboard(target.cache, {
        port,
        host,
        showValues: p.flags.values === true,
        title: target.label,
        ...(target.serverCounters === undefined ? {} : { externalCounters: () => target.serverCounters!() }),
        ...(token === undefined ? {} : { auth: { token } }),
      })
      print(io, p, { url: server.url, actions: token !== undefined }, () =>
        [
          `cachestack dashboard for ${target.label}`,
          `  ${server.url}`,
          token === undefined ? '  read-only (pass --token to enable actions)' : '  actions enabled with the token',
          '  Ctrl-C to stop',
        ].join('\n'),
      )
      await io.untilStopped()
      await server.close()
      return 0
    } finally {
      await target.close()
    }
  },
}

/** @internal Every command, in the order `--help` lists them. */
/** @internal Flags every command accepts. */
export const COMMON_FLAGS: readonly string[] = [
  'redis',
  'sentinel',
  'master',
  'memcached',
  'prefix',
  'sqlite',
  'table',
  'json',
  'help',
  'version',
]

/** @internal */
export const COMMANDS: readonly Command[] = [stats, get, del, invalidateTag, keys, dashboardCommand]

/** @internal */
export function commandHelp(c: Command): string {
  return `${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n${c.details}\n\n${TIER_FLAGS}`
}

/** @internal */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'cachestack: look into a cachestack Redis (server, Cluster or Sentinel), Memcached or SQLite tier.',
    '',
    'Usage: cachestack <command> [arguments] --redis URL | --sentinel ADDRS --master NAME | --memcached ADDRS | --sqlite PATH [--json]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'proxy'.padEnd(width)}  run the caching reverse proxy (cachestack proxy --help)`,
    `  ${'analyze'.padEnd(width)}  rank what is worth caching in a recording or an access log`,
    `  ${'simulate'.padEnd(width)}  replay a key trace against L1 sizes: LRU, W-TinyLFU, OPT`,
    `  ${'compare'.padEnd(width)}  replay recorded requests with caching off and on`,
    `  ${'sw'.padEnd(width)}  build the service worker from the asset manifest (cachestack sw --help)`,
    '',
    'Run "cachestack <command> --help" for a command\'s arguments.',
  ].join('\n')
}
