/**
 * `npm run bench`: runs every benchmark in bench/ (each file answers one
 * question and prints its own tables), one child process each so they do not
 * share a warmed-up JIT or a heap. Pass names to run a subset: `npm run bench -- core memory`.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { machineLine } from './lib/harness.js'
import './lib/servers.js' // one Redis and PostgreSQL for every child (REDIS_URL, DATABASE_URL)

const here = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.ts$/, '')))
  .sort()
console.log(`# cachestack benchmarks\n\n${machineLine()}`)
let failed = 0
for (const file of files) {
  console.log(`\n## ${file}`)
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, file)], { stdio: 'inherit' })
  if (res.status !== 0) {
    failed++
    console.log(`(${file} exited with ${res.status ?? res.signal})`)
  }
}
process.exit(failed > 0 ? 1 : 0)
