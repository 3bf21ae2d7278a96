// Keeps the embedded default (createCache() without tiers: memory over a SQLite
// file) out of the user's home: each test gets its own CACHESTACK_DIR, so tests
// never see each other's entries. Tests of the default itself set `dir`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach } from 'vitest'

const root = mkdtempSync(join(tmpdir(), 'cs-cachedir-'))
let n = 0
process.env.CACHESTACK_DIR = join(root, 'file')

beforeEach(() => {
  process.env.CACHESTACK_DIR = join(root, `test-${++n}`)
})

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})
