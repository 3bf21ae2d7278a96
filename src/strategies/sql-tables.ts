/**
 * Which tables a SQL statement reads or writes: pure functions, no I/O. Good
 * for the simple statements most applications issue; anything they cannot
 * read with confidence is reported as unknown, and the query cache then
 * falls back to invalidating broadly rather than serving stale rows.
 * @module
 */

/** What a statement does, as far as the query cache is concerned. */
export interface StatementInfo {
  /** `'read'`: may be cached; `'write'`: invalidates; `'begin'`/`'end'`: transaction control; `'other'`: neither. */
  kind: 'read' | 'write' | 'begin' | 'end' | 'other'
  /** Tables read (for reads) or written (for writes), lower-cased, without schema. `undefined` when unknown. */
  tables: string[] | undefined
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|\`[^\`]+\`|\[[^\]]+\]|[A-Za-z_][\w$]*)`
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
/** Statements that change data or schema. */
const WRITES =
  /\b(insert|update|delete|merge|truncate|replace|upsert|create|alter|drop|grant|revoke|copy|vacuum|reindex|refresh|call|do)\b/i
const LAST_IDENT = new RegExp(`${IDENT}$`)
/** Words the write pattern may capture that are not tables (`on conflict do update set …`). */
const NOT_TABLES = new Set(['set', 'select', 'values', 'default', 'only', 'table'])
const LOCKING = /\bfor\s+(?:no\s+key\s+)?(?:update|share|key\s+share)\b/i

/** Removes comments and string literals, so keywords inside them are not read as SQL. */
function strip(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/\$(\w*)\$[\s\S]*?\$\1\$/g, "''")
}

/** The bare, lower-cased table name of a possibly quoted, schema-qualified identifier. */
export function tableName(ident: string): string {
  const last = LAST_IDENT.exec(ident.trim())?.[0] ?? ident
  if (last.startsWith('"')) return last.slice(1, -1).replace(/""/g, '"')
  if (last.startsWith('`') || last.startsWith('[')) return last.slice(1, -1)
  return last.toLowerCase()
}

/**
 * Classifies a statement and lists its tables.
 * @example
 * ```ts
 * describeStatement('select * from users u join orders o on o.user_id = u.id')
 * // { kind: 'read', tables: ['users', 'orders'] }
 * ```
 */
export function describeStatement(sql: string): StatementInfo {
  const text = strip(sql).trim()
  const first = /^\(?\s*(\w+)/.exec(text)?.[1]?.toLowerCase()
  if (first === undefined) return { kind: 'other', tables: undefined }
  if (first === 'begin' || first === 'start' || first === 'savepoint') return { kind: 'begin', tables: undefined }
  if (first === 'commit' || first === 'rollback' || first === 'end' || first === 'release') {
    return { kind: 'end', tables: undefined }
  }
  if (first === 'select' || first === 'with' || first === 'values' || first === 'table') {
    if (WRITES.test(text) && (first === 'with' || /\binto\b/i.test(text))) return writeInfo(text)
    if (LOCKING.test(text)) return { kind: 'other', tables: undefined }
    if (first === 'table') {
      const m = new RegExp(String.raw`^table\s+(${QUALIFIED})`, 'i').exec(text)
      return { kind: 'read', tables: m === null ? undefined : [tableName(m[1]!)] }
    }
    const tables = new Set<string>()
    for (const m of text.matchAll(READ_SOURCE)) {
      tables.add(tableName(m[1]!))
      NEXT_ITEM.lastIndex = m.index + m[0].length
      for (let n = NEXT_ITEM.exec(text); n !== null; n = NEXT_ITEM.exec(text)) tables.add(tableName(n[1]!))
    }
    return { kind: 'read', tables: tables.size === 0 && first !== 'values' ? undefined : [...tables] }
  }
  if (first === 'show' || first === 'explain' || first === 'pragma' || first === 'set') {
    return { kind: 'other', tables: undefined }
  }
  return writeInfo(text)
}

function writeInfo(text: string): StatementInfo {
  const tables = new Set<string>()
  for (const m of text.matchAll(WRITE_TARGET)) {
    for (const part of m[1]!.split(/\s*,\s*/)) {
      const name = tableName(part)
      if (!NOT_TABLES.has(name)) tables.add(name)
    }
  }
  // DDL and anything unrecognized: unknown, so the cache invalidates every query.
  const ddl = /^\s*(create|alter|drop|grant|revoke|vacuum|reindex|call|do|copy|refresh)\b/i.test(text)
  return { kind: 'write', tables: tables.size === 0 || ddl ? undefined : [...tables] }
}
