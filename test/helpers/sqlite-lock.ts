/** Holds a SQLite file's write lock from another real process (test/stores/fixtures/sqlite-lock.cjs). */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../stores/fixtures/sqlite-lock.cjs', import.meta.url))

/** Starts a process that holds `path`'s write lock; resolves once it holds it. Kill the child to release it. */
export function lockFromAnotherProcess(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script, path], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('locked')) resolve(child)
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)))
  })
}
