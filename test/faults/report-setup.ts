// Global setup of `npm run test:faults`: a file the scenario files append their
// rows to, and, when the run ends, the one table of every scenario.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { meetsGoals, type Row, table } from './table.js'

export default function report(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'cachestack-faults-'))
  const file = join(dir, 'rows.jsonl')
  process.env.CACHESTACK_FAULT_ROWS = file
  return () => {
    let rows: Row[] = []
    try {
      rows = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Row)
    } catch {
      // no scenario ran
    }
    rmSync(dir, { recursive: true, force: true })
    if (rows.length === 0) return
    const missed = rows.filter((r) => !meetsGoals(r)).length
    console.log(
      `\nFault suite: ${rows.length} scenarios, ${missed === 0 ? 'every goal met' : `${missed} MISSED a goal`}\n`,
    )
    console.log(table(rows))
    console.log('')
  }
}
