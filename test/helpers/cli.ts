/**
 * The `cachestack` command as a user runs it, from source in a child process
 * (CACHESTACK_REDIS_URL cleared, so the machine's setting never picks a tier).
 * @module
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '../..')

/** What one run of the CLI printed, and how it exited. */
export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `cachestack ...args` and resolves when it exits. */
export function cli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      env: { ...process.env, CACHESTACK_REDIS_URL: '' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Runs `cachestack ...args --json` and parses what it printed; a non-zero exit throws with its stderr. */
export async function cliJson<T>(...args: string[]): Promise<T> {
  const run = await cli(...args, '--json')
  if (run.code !== 0) throw new Error(`cachestack ${args.join(' ')} exited ${run.code}: ${run.stderr}`)
  return JSON.parse(run.stdout) as T
}
