/**
 * What a SQL statement does and which tables it reads or writes: pure
 * functions, no I/O. Good for the simple statements most applications issue;
 * anything they cannot read with confidence is reported as unknown, and the
 * query cache then falls back to invalidating broadly rather than serving
 * stale rows.
 * @module
 */
import { type VolatileMarker, volatileUse } from './sql-volatile.js'

/**
 * Whose rules name tables: `'postgres'` folds unquoted names to lower case
 * and keeps quoted ones as written (`Users` is `users`, `"Users"` is
 * `Users`); `'sqlite'` compares every name without regard to ASCII case,
 * quoted or not.
 */
export type SqlDialect = 'postgres' | 'sqlite'

/** A transaction-control statement. */
export type TransactionControl = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollback-to'

/** What a statement does, as far as the query cache is concerned. */
export interface StatementInfo {
  /** `'read'`: may be cached (see `uncacheable`); `'write'`: invalidates; `'transaction'`: see `control`; `'other'`: neither. */
  kind: 'read' | 'write' | 'transaction' | 'other'
  /** Tables read (for reads) or written (for writes), without schema, named by the dialect's rules. `undefined` when unknown. */
  tables: string[] | undefined
  /** For a read that must never be cached: why (`'nextval'`, `'for update'`). */
  uncacheable?: string
  /** For `kind: 'transaction'`: which statement. */
  control?: TransactionControl
  /** For `commit`/`rollback`: `AND CHAIN`, so a new transaction starts at once. */
  chain?: boolean
}

/** Options of {@link describeStatement}. */
export interface DescribeOptions {
  /** @defaultValue `'postgres'` */
  dialect?: SqlDialect
  /** The user's own volatile functions: reads calling them are `uncacheable`. */
  volatile?: readonly VolatileMarker[]
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|\`[^\`]+\`|\[[^\]]+\]|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)`
const QUALIFIED = String.raw`${IDENT}(?:\s*\.\s*${IDENT}){0,2}`
const READ_SOURCE = new RegExp(String.raw`\b(?:from|join)\s+(${QUALIFIED})`, 'gi')
/** After a FROM item: an optional alias, then a comma and the next item (`from a, b as bb, c`). */
const NEXT_ITEM = new RegExp(
  String.raw`(?:\s+(?:as\s+)?(?!(?:where|join|inner|left|right|full|cross|natural|on|using|group|order|limit|offset|union|except|intersect|window|having|for|returning)\b)${IDENT})?\s*,\s*(${QUALIFIED})`,
  'iy',
)
const WRITE_TARGET = new RegExp(
  String.raw`\b(?:insert\s+(?:or\s+\w+\s+)?into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from|merge\s+into|truncate(?:\s+table)?(?:\s+only)?)\s+(${QUALIFIED}(?:\s*,\s*${QUALIFIED})*)`,
  'gi',
)
/** The statements a data-modifying CTE may hold (`with x as (update …) select …`). */
const CTE_WRITES = /\b(insert|update|delete|merge)\b/i
const LAST_IDENT = new RegExp(`${IDENT}$`)
/** Words the write pattern may capture that are not tables (`on conflict do update set …`). */
const NOT_TABLES = new Set(['set', 'select', 'values', 'default', 'only', 'table'])
const LOCKING = /\bfor\s+(?:no\s+key\s+)?(?:update|share|key\s+share)\b/i
const CHAIN = /\band\s+chain\b/i

/** Removes comments and string literals, so keywords inside them are not read as SQL. */
export function stripSql(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/\$(\w*)\$[\s\S]*?\$\1\$/g, "''")
}

/** Lower-cases ASCII letters only, as PostgreSQL folds identifiers and SQLite compares them. */
const foldAscii = (name: string) => name.replace(/[A-Z]+/g, (m) => m.toLowerCase())

/**
 * The bare name of a possibly quoted, schema-qualified identifier, by the
 * dialect's rules: `public."Users"` is `Users` in PostgreSQL and `users` in
 * SQLite; `Users` is `users` in both.
 */
export function tableName(ident: string, dialect: SqlDialect = 'postgres'): string {
  const last = LAST_IDENT.exec(ident.trim())?.[0] ?? ident
  let name = last
  let quoted = true
  if (last.startsWith('"')) name = last.slice(1, -1).replace(/""/g, '"')
  else if (last.startsWith('`') || last.startsWith('[')) name = last.slice(1, -1)
  else quoted = false
  return quoted && dialect === 'postgres' ? name : foldAscii(name)
}

/**
 * The table names a name given in JavaScript (the `tables` option,
 * `invalidate`) may mean. Quoted (`'"X_Mixed"'`): exactly that table.
 * Unquoted: the folded name, as SQL reads it, and in PostgreSQL also the
 * name as written when it differs, since `'X_Mixed'` written in JavaScript
 * often means the quoted table: invalidating both costs a little, missing
 * one serves stale rows.
 */
export function declaredTables(ident: string, dialect: SqlDialect = 'postgres'): string[] {
  const name = tableName(ident, dialect)
  const last = LAST_IDENT.exec(ident.trim())?.[0] ?? ident
  if (dialect === 'sqlite' || /^["`[]/.test(last) || last === name) return [name]
  return [name, last]
}

/**
 * Classifies a statement and lists its tables.
 * @example
 * ```ts
 * describeStatement('select * from users u join orders o on o.user_id = u.id')
 * // { kind: 'read', tables: ['users', 'orders'] }
 * describeStatement("select nextval('ids')")
 * // { kind: 'read', tables: undefined, uncacheable: 'nextval' }
 * ```
 */
export function describeStatement(sql: string, options: DescribeOptions = {}): StatementInfo {
  const dialect = options.dialect ?? 'postgres'
  const text = stripSql(sql).trim()
  const parts = text.split(';').filter((p) => p.trim() !== '')
  if (parts.length > 1) return severalStatements(parts, dialect)
  const first = /^\(?\s*(\w+)/.exec(text)?.[1]?.toLowerCase()
  if (first === undefined) return { kind: 'other', tables: undefined }
  const control = transactionControl(first, text)
  if (control !== undefined) return control
  if (first === 'select' || first === 'with' || first === 'values' || first === 'table') {
    if (first === 'with' && CTE_WRITES.test(text)) return writeInfo(text, dialect)
    // SELECT … INTO creates a table.
    if (first === 'select' && /\binto\b/i.test(text)) return { kind: 'write', tables: undefined }
    const info = readInfo(first, text, dialect)
    const volatile = LOCKING.exec(text)?.[0] ?? volatileUse(text, sql, options.volatile)
    if (volatile !== undefined) info.uncacheable = volatile.toLowerCase().replace(/\s+/g, ' ')
    return info
  }
  if (first === 'explain') {
    // EXPLAIN ANALYZE runs the statement.
    const inner = /^explain\s+(?:\([^)]*\banalyze\b[^)]*\)|analyze\b(?:\s+verbose\b)?)\s*([\s\S]*)$/i.exec(text)?.[1]
    const info = inner === undefined ? undefined : describeStatement(inner, options)
    return info?.kind === 'write' ? info : { kind: 'other', tables: undefined }
  }
  if (first === 'show' || first === 'pragma' || first === 'set' || first === 'listen' || first === 'unlisten') {
    return { kind: 'other', tables: undefined }
  }
  return writeInfo(text, dialect)
}

function transactionControl(first: string, text: string): StatementInfo | undefined {
  const tx = (control: TransactionControl, chain = false): StatementInfo => ({
    kind: 'transaction',
    tables: undefined,
    control,
    ...(chain ? { chain } : {}),
  })
  switch (first) {
    case 'begin':
      return tx('begin')
    case 'start':
      return /^start\s+transaction\b/i.test(text) ? tx('begin') : undefined
    case 'savepoint':
      return tx('savepoint')
    case 'release':
      return tx('release')
    case 'abort':
      return tx('rollback')
    case 'end':
      return tx('commit', CHAIN.test(text))
    case 'commit':
      // COMMIT PREPARED makes another session's writes visible: tables unknown.
      return /^commit\s+prepared\b/i.test(text) ? { kind: 'write', tables: undefined } : tx('commit', CHAIN.test(text))
    case 'rollback':
      if (/^rollback\s+prepared\b/i.test(text)) return { kind: 'other', tables: undefined }
      return /^rollback(?:\s+(?:work|transaction))?\s+to\b/i.test(text)
        ? tx('rollback-to')
        : tx('rollback', CHAIN.test(text))
    case 'prepare':
      // PREPARE TRANSACTION ends this session's transaction; COMMIT PREPARED publishes it.
      return /^prepare\s+transaction\b/i.test(text) ? tx('commit') : undefined
    default:
      return undefined
  }
}

function readInfo(first: string, text: string, dialect: SqlDialect): StatementInfo {
  if (first === 'table') {
    const m = new RegExp(String.raw`^table\s+(${QUALIFIED})`, 'i').exec(text)
    return { kind: 'read', tables: m === null ? undefined : [tableName(m[1]!, dialect)] }
  }
  const tables = new Set<string>()
  for (const m of text.matchAll(READ_SOURCE)) {
    tables.add(tableName(m[1]!, dialect))
    NEXT_ITEM.lastIndex = m.index + m[0].length
    for (let n = NEXT_ITEM.exec(text); n !== null; n = NEXT_ITEM.exec(text)) tables.add(tableName(n[1]!, dialect))
  }
  return { kind: 'read', tables: tables.size === 0 && first !== 'values' ? undefined : [...tables] }
}

function writeInfo(text: string, dialect: SqlDialect): StatementInfo {
  const tables = new Set<string>()
  for (const m of text.matchAll(WRITE_TARGET)) {
    for (const part of m[1]!.split(/\s*,\s*/)) {
      const name = tableName(part, dialect)
      if (!NOT_TABLES.has(name)) tables.add(name)
    }
  }
  // DDL and anything unrecognized: unknown, so the cache invalidates every query.
  const ddl = /^\s*(create|alter|drop|grant|revoke|vacuum|reindex|call|do|copy|refresh)\b/i.test(text)
  return { kind: 'write', tables: tables.size === 0 || ddl ? undefined : [...tables] }
}

/**
 * Several statements in one string (`begin; update …; commit`): never
 * cached; a write of the tables any of them writes (unknown when one of
 * them is not a plain read or write).
 */
function severalStatements(parts: string[], dialect: SqlDialect): StatementInfo {
  const tables = new Set<string>()
  for (const part of parts) {
    const info = describeStatement(part, { dialect })
    if (info.kind === 'read' || info.kind === 'transaction') continue
    if (info.kind !== 'write' || info.tables === undefined) return { kind: 'write', tables: undefined }
    for (const t of info.tables) tables.add(t)
  }
  return { kind: 'write', tables: [...tables] }
}
