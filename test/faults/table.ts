/**
 * The fault suite's one table: a row per scenario, printed when the suite ends,
 * with the goals of issue 20 checked per row.
 * @module
 */
import { appendFileSync } from 'node:fs'

/** One scenario's outcome. */
export interface Row {
  scenario: string
  requests: number
  /** Calls that rejected (the goal: 0, fail-open). */
  failed: number
  /** Calls slower than the budget plus 10 % (the goal: 0). */
  slower: number
  /** Reads that returned a value older than the last write by more than one bus delay (`undefined`: not measured). */
  staleReads: number | undefined
  /** Acknowledged writes missing after recovery (`undefined`: not measured). */
  writesLost: number | undefined
  /** Milliseconds from the fault's end until the tier served again (`undefined`: the tier was never lost). */
  recoveryMs: number | undefined
  /** The longest call, milliseconds. */
  worstMs: number
  /** The bound for recovery (one breaker interval), milliseconds. */
  recoveryBound: number
}

/** Records a row for the final table (appended to the run's file; report-setup.ts prints them all). */
export function record(row: Row): void {
  const file = process.env.CACHESTACK_FAULT_ROWS
  if (file !== undefined) appendFileSync(file, `${JSON.stringify(row)}\n`)
}

/** Whether a row meets every goal. */
export function meetsGoals(row: Row): boolean {
  return (
    row.failed === 0 &&
    row.slower === 0 &&
    (row.staleReads ?? 0) === 0 &&
    (row.writesLost ?? 0) === 0 &&
    (row.recoveryMs === undefined || row.recoveryMs <= row.recoveryBound)
  )
}

/** The table as text. */
export function table(rows: readonly Row[]): string {
  const head = [
    'scenario',
    'requests',
    'failed',
    'slower than budget',
    'stale reads > 1 bus delay',
    'acked writes lost',
    'recovery',
    'worst call',
    'goals',
  ]
  const body = rows.map((r) => [
    r.scenario,
    String(r.requests),
    String(r.failed),
    String(r.slower),
    r.staleReads === undefined ? 'n/a' : String(r.staleReads),
    r.writesLost === undefined ? 'n/a' : String(r.writesLost),
    r.recoveryMs === undefined ? '-' : `${Math.round(r.recoveryMs)} ms`,
    `${Math.round(r.worstMs)} ms`,
    meetsGoals(r) ? 'met' : 'MISSED',
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')
}
