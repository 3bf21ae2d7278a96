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
export { argsKey } from './stable-key.js'
export {
  type WriteBehind,
  type WriteBehindEntry,
  type WriteBehindOptions,
  type WriteBehindStats,
  writeBehind,
} from './write-behind.js'
