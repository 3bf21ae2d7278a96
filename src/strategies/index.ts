export { type CachedMethod, type CachedOptions, cached } from './cached-decorator.js'
export {
  type JournalEntry,
  type JournalId,
  type JournalRecord,
  type RedisJournalOptions,
  redisJournal,
  type SqliteJournalOptions,
  sqliteJournal,
  type WriteJournal,
} from './journal.js'
export { type Memoized, type MemoizeOptions, memoize } from './memoize.js'
export {
  type CachedQuery,
  type CachedQueryOptions,
  cachedQuery,
  type PgQueryable,
  type QueryCallback,
  type QueryConfig,
  type QueryOptions,
  type QueryResult,
  type SqliteDatabase,
  type SqliteStatement,
  type Submittable,
} from './query.js'
export { type RefreshAhead, type RefreshAheadOptions, refreshAhead } from './refresh-ahead.js'
export { type Scheduled, type ScheduleOptions, type ScheduleStats, schedule } from './schedule.js'
export {
  type DescribeOptions,
  describeStatement,
  type SqlDialect,
  type StatementInfo,
  type TransactionControl,
} from './sql-tables.js'
export type { VolatileMarker } from './sql-volatile.js'
export { argsKey } from './stable-key.js'
export {
  type WriteBehind,
  type WriteBehindEntry,
  type WriteBehindOptions,
  type WriteBehindStats,
  writeBehind,
} from './write-behind.js'
