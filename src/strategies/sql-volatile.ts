/**
 * Which SQL reads must never be cached because their answer changes from one
 * call to the next, or from one connection to another, while no table
 * changes: volatile functions (sequences, clocks, random numbers, advisory
 * locks), session-dependent functions, statistics views, and the functions
 * a user marks. Pure functions, no I/O.
 * @module
 */

/**
 * A user's own volatile functions: a name matches a call of that function
 * (`audit_log(` or `app.audit_log(`, any case); a RegExp is tested against
 * the statement's text as written.
 */
export type VolatileMarker = string | RegExp

/**
 * Built-in functions and keywords whose value is not a function of the
 * tables read. PostgreSQL: sequences, clocks, random, UUIDs, transaction
 * ids, advisory locks, sleeps, notifications, settings and session facts.
 * SQLite: random, randomblob, changes, last_insert_rowid.
 */
const VOLATILE_CALLS = [
  'now',
  'statement_timestamp',
  'transaction_timestamp',
  'clock_timestamp',
  'timeofday',
  'random',
  'random_normal',
  'setseed',
  'randomblob',
  'gen_random_uuid',
  'gen_random_bytes',
  'gen_salt',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'nextval',
  'currval',
  'lastval',
  'setval',
  'txid_current',
  'txid_current_if_assigned',
  'pg_current_xact_id',
  'pg_current_xact_id_if_assigned',
  'pg_backend_pid',
  'pg_sleep',
  'pg_sleep_for',
  'pg_sleep_until',
  'pg_notify',
  'set_config',
  'current_setting',
  'current_schemas',
  'inet_client_addr',
  'inet_client_port',
  'changes',
  'total_changes',
  'last_insert_rowid',
]

/** SQL keywords that read the clock or the session without parentheses (`select current_timestamp`). */
const VOLATILE_KEYWORDS = [
  'current_timestamp',
  'current_time',
  'current_date',
  'localtime',
  'localtimestamp',
  'current_user',
  'session_user',
  'current_role',
  'current_schema',
]

const CALL = new RegExp(String.raw`(?:^|[^\w$"])(${VOLATILE_CALLS.join('|')})\s*\(`, 'i')
const KEYWORD = new RegExp(String.raw`(?:^|[^\w$."])(${VOLATILE_KEYWORDS.join('|')})(?![\w$"])`, 'i')
/** Advisory locks and statistics views by prefix: `pg_advisory_xact_lock(`, `pg_try_advisory_lock(`, `pg_stat_activity`. */
const PREFIXED = /(?:^|[^\w$"])(pg_(?:try_)?advisory_\w*|pg_stat\w*|pg_locks)\b/i
/** SQLite's date and time functions without a time value mean "now": `date()`, `unixepoch()`, `strftime('%s')`. */
const SQLITE_NOW = /(?:^|[^\w$."])(?:(?:date|time|datetime|julianday|unixepoch)\s*\(\s*\)|strftime\s*\(\s*''\s*\))/i
/** Date literals relative to the clock: `'now'::timestamptz`, `date('now')`, `'today'`. */
const NOW_LITERAL = /'\s*(now|today|tomorrow|yesterday)\s*'/i

/**
 * The volatile function or keyword a statement uses, or `undefined` when it
 * uses none.
 *
 * @param text - the statement with comments and string literals blanked (as `describeStatement` strips it)
 * @param original - the statement as written (for date literals such as `'now'` and the user's RegExps)
 * @param marked - the user's own volatile functions
 */
export function volatileUse(
  text: string,
  original: string,
  marked: readonly VolatileMarker[] = [],
): string | undefined {
  const found =
    CALL.exec(text)?.[1] ??
    KEYWORD.exec(text)?.[1] ??
    PREFIXED.exec(text)?.[1] ??
    (SQLITE_NOW.test(text) ? 'the current time' : undefined) ??
    NOW_LITERAL.exec(original)?.[0]
  if (found !== undefined) return found.toLowerCase()
  for (const m of marked) {
    if (typeof m === 'string' ? callOf(m).test(text) : matches(m, original)) return String(m)
  }
  return undefined
}

const calls = new Map<string, RegExp>()

/** A call of the named function, schema-qualified or not, in any case. */
function callOf(name: string): RegExp {
  let re = calls.get(name)
  if (re === undefined) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    re = new RegExp(String.raw`(?:^|[^\w$"])${escaped}\s*\(`, 'i')
    calls.set(name, re)
  }
  return re
}

/** Tests a user's RegExp without letting a global or sticky flag carry state from one statement to the next. */
function matches(re: RegExp, text: string): boolean {
  re.lastIndex = 0
  return re.test(text)
}
