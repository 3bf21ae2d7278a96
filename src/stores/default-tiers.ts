/**
 * The embedded default: what `createCache()` uses when no `tiers` are given.
 * Memory over a SQLite file in the OS cache directory, so a laptop with no
 * servers gets a cache that survives restarts and is shared by the app's
 * processes, with a bus over the same file so that one process's `set`,
 * `delete` and `clear` reach the others' memory tiers. better-sqlite3 is an
 * optional peer, loaded only here; without it the default is memory only,
 * with one warning saying what to install.
 * @module
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { invalidOption } from '../core/errors.js'
import { tryLoadPeer } from '../core/optional-peer.js'
import type { Store } from '../core/store.js'
import type { Bus } from '../tiers/bus.js'
import { sqliteBus } from '../tiers/sqlite-bus.js'
import { memoryStore } from './memory/index.js'
import { sqliteStore } from './sqlite.js'

/** The byte bound of the default SQLite file. */
export const DEFAULT_SQLITE_MAX_BYTES = 256 * 1024 * 1024

/**
 * The OS cache directory for cachestack: `$XDG_CACHE_HOME/cachestack` or
 * `~/.cache/cachestack` on Linux and other Unixes, `~/Library/Caches/cachestack`
 * on macOS, `%LOCALAPPDATA%\cachestack` on Windows.
 */
export function osCacheDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'cachestack')
  if (platform === 'win32') {
    return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'cachestack')
  }
  const xdg = env.XDG_CACHE_HOME
  return join(xdg?.startsWith('/') ? xdg : join(homedir(), '.cache'), 'cachestack')
}

/**
 * The directory the default SQLite file goes in: the `dir` option, else
 * `CACHESTACK_DIR`, else {@link osCacheDir}.
 */
export function defaultCacheDir(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (dir !== undefined) return dir
  const fromEnv = env.CACHESTACK_DIR
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : osCacheDir(env)
}

/**
 * The default file's name: one per application, so two apps on one machine
 * never read each other's keys. The app is the working directory (its
 * package.json name, or its folder name, plus a hash of its path): processes
 * of one app started from its folder share the file.
 */
export function defaultFileName(cwd = process.cwd()): string {
  let name = basename(cwd)
  const pkg = join(cwd, 'package.json')
  if (existsSync(pkg)) {
    try {
      const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }
      if (typeof parsed.name === 'string' && parsed.name !== '') name = parsed.name
    } catch {
      // an unreadable package.json: the folder name will do
    }
  }
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'app'
  const hash = createHash('sha256').update(cwd).digest('hex').slice(0, 8)
  return `${safe.slice(0, 60)}-${hash}.db`
}

let warned = false

/** @internal for tests: lets the one-time warning fire again. */
export function resetDefaultTierWarning(): void {
  warned = false
}

function warnOnce(message: string): void {
  if (warned) return
  warned = true
  process.emitWarning(message, { code: 'CACHESTACK_MEMORY_ONLY' })
}

/**
 * The tiers of `createCache()` without `tiers`.
 * @param dir - the `dir` option: a directory, or `false` for memory only
 * @param load - how better-sqlite3 is loaded (tests pass one that finds nothing)
 * @internal
 */
export function defaultTiers(dir: string | false | undefined, load: (name: string) => unknown = tryLoadPeer): Store[] {
  return defaultSetup(dir, false, load).tiers
}

/**
 * The tiers of `createCache()` without `tiers`, and with `bus` true the bus
 * over the same SQLite file (none when the default is memory only).
 * @internal
 */
export function defaultSetup(
  dir: string | false | undefined,
  bus: boolean,
  load: (name: string) => unknown = tryLoadPeer,
): { tiers: Store[]; bus?: Bus } {
  if (dir === false) return { tiers: [memoryStore()] }
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) {
    throw invalidOption('dir', 'a directory path, or false for memory only', dir)
  }
  let found: unknown
  try {
    found = load('better-sqlite3')
  } catch (error) {
    warnOnce(
      `cachestack: better-sqlite3 could not be loaded (${(error as Error).message}); the default cache keeps entries in memory only. Reinstall it (npm rebuild better-sqlite3) to persist them, or pass tiers.`,
    )
    return { tiers: [memoryStore()] }
  }
  if (found === undefined) {
    warnOnce(
      'cachestack: the default cache keeps entries in memory only because better-sqlite3 is not installed. Run `npm install better-sqlite3` to keep them in a SQLite file across restarts, or pass `dir: false` (or your own tiers) to silence this.',
    )
    return { tiers: [memoryStore()] }
  }
  const path = join(defaultCacheDir(dir), defaultFileName())
  let tiers: Store[]
  try {
    tiers = [memoryStore(), sqliteStore({ path, maxBytes: DEFAULT_SQLITE_MAX_BYTES })]
  } catch (error) {
    warnOnce(
      `cachestack: the default cache could not open ${path} (${(error as Error).message}); it keeps entries in memory only. Set CACHESTACK_DIR or the dir option to a writable directory.`,
    )
    return { tiers: [memoryStore()] }
  }
  if (!bus) return { tiers }
  try {
    return { tiers, bus: sqliteBus({ path }) }
  } catch (error) {
    // The tier opened the file, so this is rare; without the bus, other processes' changes reach memory by TTL only.
    warnOnce(
      `cachestack: the default cache could not open its bus on ${path} (${(error as Error).message}); other processes' set, delete and clear reach this one's memory tier only when entries expire.`,
    )
    return { tiers }
  }
}
