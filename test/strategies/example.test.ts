/**
 * examples/strategies.ts is the README's runnable tour of the strategies: run it
 * as a user would and check that every line proves what it says.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'

const example = fileURLToPath(new URL('../../examples/strategies.ts', import.meta.url))

test('examples/strategies.ts runs every strategy on SQLite and prints what it saved', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', example], { timeout: 60_000 })
  const value = (label: string) => {
    const line = stdout.split('\n').find((l) => l.trim().startsWith(label))
    expect(line, `a line starting "${label}" in:\n${stdout}`).toBeDefined()
    return line!.slice(line!.indexOf(label) + label.length).trim()
  }
  expect(value('cache-aside: 100 reads of one user, database statements')).toBe('1')
  expect(value('read-through: getMany of 10 users twice, database statements')).toBe('1')
  expect(value('write-through: 3 concurrent writes, cache == database')).toBe('Barbara == Barbara')
  expect(Number(value('write-behind: 1,000 writes of 10 keys acknowledged, flushes'))).toBeLessThanOrEqual(2)
  // Keys sku-0..sku-9 end with their last values 991..1000.
  expect(value('write-behind: rows in the database (each key its last value)')).toBe('10 rows, qty sum 9955')
  const [first, served, after] = value('refresh-ahead: read at 60 % of the TTL served, then reloaded').split(' → ')
  expect(served).toBe(first)
  expect(Number(after)).toBeGreaterThan(Number(first))
  expect(value('memoize: 1,000 calls, function ran')).toBe('1 time(s), "hello-world"')
  expect(value('@cached: 3 concurrent calls of a method, method ran')).toBe('1 time(s)')
  expect(value('query caching: 3 reads, a write, a read: qty seen')).toBe('991 → 991 → 991 → 1991')
  expect(value('query caching: SELECTs run by the database')).toBe('2 of 4')
  expect(stdout).toContain('done')
})
