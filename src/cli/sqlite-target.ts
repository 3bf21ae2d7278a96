/**
 * `--sqlite PATH`: a cache over one `sqliteStore` on an existing file (the CLI
 * never creates one: a typo in the path is an error, not a new empty cache),
 * plus an indexed range query for `keys` and the file's size for `stats`.
 * @module
 */
import { existsSync, statSync } from 'node:fs'
import Database from 'better-sqlite3'
import { createCacheWith } from '../core/cache.js'
import { CacheError } from '../core/errors.js'
import { sqliteStore } from '../stores/sqlite.js'
import { UsageError } from './args.js'
import { globToRegExp, type Target } from './target.js'

/** @internal */
export async function openSqlite(path: string, table = 'cachestack'): Promise<Target> {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(table)) {
    throw new UsageError(
      `--table must be letters, digits and _ (not starting with a digit); got ${JSON.stringify(table)}.`,
    )
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new CacheError(
      'ERR_CACHE_UNAVAILABLE',
      `No SQLite cache file at ${path}: check the path (the CLI does not create one).`,
    )
  }
  // A read-only connection of our own finds the entry table and lists keys without touching the store's statements.
  let reader: Database.Database
  try {
    reader = new Database(path, { readonly: true, fileMustExist: true })
    reader.pragma('busy_timeout = 2000')
  } catch (error) {
    throw new CacheError('ERR_CACHE_UNAVAILABLE', `Cannot open ${path} as SQLite: ${(error as Error).message}.`, {
      cause: error,
    })
  }
  let entryTable: string | undefined
  try {
    const names = reader
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\'")
      .all(`${table.replace(/_/g, '\\_')}\\_v%`) as { name: string }[]
    entryTable = names
      .map((r) => r.name)
      .filter((n) => new RegExp(`^${table}_v\\d+$`).test(n))
      .sort((a, b) => Number(b.slice(b.lastIndexOf('_v') + 2)) - Number(a.slice(a.lastIndexOf('_v') + 2)))[0]
  } catch (error) {
    reader.close()
    throw new CacheError('ERR_CACHE_UNAVAILABLE', `${path} is not a SQLite database: ${(error as Error).message}.`, {
      cause: error,
    })
  }
  if (entryTable === undefined) {
    reader.close()
    throw new CacheError(
      'ERR_CACHE_UNAVAILABLE',
      `${path} holds no cachestack table "${table}": check --table (the sqliteStore "table" option).`,
    )
  }
  const store = sqliteStore({ path, table, cleanupInterval: false, strict: true })
  const cache = createCacheWith({ tiers: [store], strict: true }, () => [])
  return {
    label: `sqlite ${path}${table === 'cachestack' ? '' : ` (table "${table}")`}`,
    cache,
    store,
    async keys(pattern, limit) {
      // A literal prefix of the glob narrows the scan to an index range; the rest is matched here.
      const literal = /^[^*?[]*/.exec(pattern)![0]
      const re = globToRegExp(pattern)
      const rows = reader
        .prepare(`SELECT key FROM ${entryTable} WHERE key >= ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key`)
        .iterate(literal, Date.now()) as Iterable<{ key: string }>
      const out: string[] = []
      for (const { key } of rows) {
        if (!key.startsWith(literal)) break
        if (!re.test(key)) continue
        if (out.length >= limit) return { keys: out, complete: false }
        out.push(key)
      }
      return { keys: out, complete: true }
    },
    async info() {
      const wal = `${path}-wal`
      return {
        fileBytes: statSync(path).size,
        walBytes: existsSync(wal) ? statSync(wal).size : 0,
        table: entryTable,
      }
    },
    async close() {
      reader.close()
      await cache.close()
    },
  }
}
