/**
 * One connection's transaction, as the query cache needs to know it: whether
 * one is open (reads then neither use nor fill the shared cache, since they
 * may see uncommitted rows), and which tables it wrote (invalidated once it
 * commits, when other connections can see the change; dropped when it rolls
 * back, since nothing changed).
 *
 * The statements the wrapper runs are one source (BEGIN, START TRANSACTION,
 * COMMIT, END, ROLLBACK, ABORT, … AND CHAIN; SAVEPOINT, RELEASE and
 * ROLLBACK TO never end a transaction in PostgreSQL). The connection is the
 * other where it can tell: better-sqlite3's `inTransaction`, pg's
 * `getTransactionStatus()`. It catches what the wrapper did not see: a
 * `db.transaction()` function, SQLite's RELEASE of the outermost savepoint,
 * a COMMIT sent around the wrapper, an error that rolled back.
 * @module
 */
import type { StatementInfo } from './sql-tables.js'

/** What a finished transaction leaves to invalidate: tables, or `'all'` when a write's tables were unknown. */
export type TransactionWrites = readonly string[] | 'all'

/** Tracks one connection's transaction. */
export class TransactionTracker {
  /** Open as far as the statements seen say. */
  #open = false
  #tables: Set<string> | undefined
  #unknown = false
  readonly #live: () => boolean | undefined

  /** @param live - whether the connection itself reports an open transaction; `undefined` when it cannot tell */
  constructor(live: () => boolean | undefined) {
    this.#live = live
  }

  /** Whether a transaction may be open: as the statements say, or as the connection reports. */
  get open(): boolean {
    return this.#open || this.#live() === true
  }

  /** Notes a statement about to run (BEGIN opens the transaction before its answer comes back). */
  starting(info: StatementInfo): void {
    if (info.control === 'begin') this.#open = true
  }

  /** Remembers what a write in the open transaction changed; `undefined`: unknown tables. */
  wrote(tables: readonly string[] | undefined): void {
    if (tables === undefined) this.#unknown = true
    else for (const t of tables) (this.#tables ??= new Set()).add(t)
  }

  /**
   * After a statement ran, or failed: what must be invalidated now that a
   * transaction ended, if one did.
   */
  finished(info: StatementInfo | undefined): TransactionWrites | undefined {
    const live = this.#live()
    if (info?.control === 'commit' || info?.control === 'rollback') {
      const chain = info.chain === true
      this.#open = live ?? chain
      return this.#end(info.control === 'commit')
    }
    if (live === undefined) return undefined
    this.#open = live
    // Ended where the wrapper could not see how: invalidate, as if it committed.
    return live ? undefined : this.#end(true)
  }

  #end(committed: boolean): TransactionWrites | undefined {
    const writes: TransactionWrites | undefined = this.#unknown ? 'all' : this.#tables && [...this.#tables]
    this.#tables = undefined
    this.#unknown = false
    return committed ? writes : undefined
  }
}
