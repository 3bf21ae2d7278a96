/**
 * `cachestack/analyze` as users get it: the built package through the exports
 * map, as ESM and CommonJS, and the built `cachestack` binary. Run
 * `npm run build` first.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

describe('the built cachestack/analyze', () => {
  it('loads as ESM and CommonJS and works', async () => {
    const esm = await import('cachestack/analyze')
    const cjs = createRequire(import.meta.url)('cachestack/analyze') as typeof esm
    for (const mod of [esm, cjs]) {
      const recorder = mod.createRecorder()
      for (let i = 0; i < 20; i++) recorder.record({ kind: 'function', name: 'f', key: String(i % 4), ms: 10, hash: 1 })
      const [first] = mod.rankCandidates(recorder.snapshot())
      expect(first).toMatchObject({ name: 'f', suggestion: 'memoize' })
    }
  })

  it('the built binary simulates a key trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cachestack-bin-'))
    try {
      const file = join(dir, 'keys.txt')
      writeFileSync(file, Array.from({ length: 100 }, (_, i) => `k${i % 10}`).join('\n'))
      const bin = join(import.meta.dirname, '../../dist/esm/cli/main.js')
      const run = spawnSync(process.execPath, [bin, 'simulate', file, '--sizes', '10', '--json'], { encoding: 'utf8' })
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout).curves.map((c: { ratios: number[] }) => c.ratios[0])).toEqual([0.9, 0.9, 0.9])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
