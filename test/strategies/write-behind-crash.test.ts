import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'

const child = join(import.meta.dirname, 'fixtures', 'write-behind-child.ts')
const dir = mkdtempSync(join(tmpdir(), 'cs-wb-crash-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function start(args: string[]): { proc: ChildProcess; lines: string[]; waitFor(text: string): Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let stderr = ''
  const waiters: { text: string; resolve: () => void }[] = []
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (line === '') continue
      lines.push(line)
      for (const w of waiters) if (line.startsWith(w.text)) w.resolve()
    }
  })
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  return {
    proc,
    lines,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (lines.some((l) => l.startsWith(text))) return resolve()
        waiters.push({ text, resolve })
        proc.on('exit', (code) => reject(new Error(`child exited (${code}) before "${text}": ${stderr}`)))
      }),
  }
}

describe('write-behind survives SIGKILL mid-flush', () => {
  it('replays the journal: the database ends with every acknowledged write, in order per key', async () => {
    const db = join(dir, 'app.db')
    const journal = join(dir, 'journal.db')
    const n = 2000
    const keys = 37
    const first = start(['write', db, journal, String(n), String(keys)])
    await first.waitFor('MIDFLUSH')
    await first.waitFor('ACKED')
    first.proc.kill('SIGKILL')
    await new Promise((r) => first.proc.on('exit', r))

    const check = new Database(db, { readonly: true })
    const before = check.prepare('select count(*) as n from log').get() as { n: number }
    check.close()
    // The kill came mid-flush: some writes reached the database, not all.
    expect(before.n).toBeGreaterThan(0)

    const second = start(['replay', db, journal])
    await second.waitFor('DONE')
    await new Promise((r) => second.proc.on('exit', r))
    const replayed = Number(second.lines.find((l) => l.startsWith('REPLAYED'))!.split(' ')[1])
    expect(replayed).toBeGreaterThan(0)

    const after = new Database(db, { readonly: true })
    const rows = after.prepare('select key, version from kv').all() as { key: string; version: number }[]
    const final = new Map(rows.map((r) => [r.key, r.version]))
    for (let k = 0; k < keys; k++) {
      // The last write of key k is the largest i with i % keys === k.
      const last = k + keys * Math.floor((n - 1 - k) / keys)
      expect(final.get(`k${k}`)).toBe(last)
    }
    // In order per key: the versions each key reached the database with never go down.
    const log = after.prepare('select key, version from log order by seq').all() as { key: string; version: number }[]
    const seen = new Map<string, number>()
    for (const { key, version } of log) {
      expect(version).toBeGreaterThanOrEqual(seen.get(key) ?? -1)
      seen.set(key, version)
    }
    after.close()
    // The journal is empty after the replay's flush.
    const j = new Database(journal, { readonly: true })
    expect((j.prepare('select count(*) as n from cachestack_journal_default').get() as { n: number }).n).toBe(0)
    j.close()
  }, 60_000)
})
