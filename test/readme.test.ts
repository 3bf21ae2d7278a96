/**
 * Every TypeScript snippet of the README, compiled with `tsc --strict` against
 * the built package and run with tsx, as a reader would paste it: a snippet
 * that never ends (a Redis client left open), or one that does not type-check,
 * fails here. Names a snippet leaves to the reader come from
 * test/readme/stand-ins.ts; test/readme/preload.ts closes servers once they
 * listen and answers the stand-in CMS. `npm test` builds first.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REDIS_URL, redisAvailable } from './helpers/redis.js'

const root = join(import.meta.dirname, '..')
const built = existsSync(join(root, 'dist/esm/index.js'))

/** The names stand-ins.ts exports. */
const STAND_INS = [
  'cache',
  'app',
  'products',
  'product',
  'pricingApi',
  'renderSidebar',
  'render',
  'buildReport',
  'slugify',
  'log',
  'db',
  'pool',
  'createCache',
  'memoryStore',
]

interface Snippet {
  line: number
  code: string
}

function snippets(): Snippet[] {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n')
  const out: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end] !== '```') end++
    out.push({ line: start + 1, code: lines.slice(start, end).join('\n') })
    i = end
  }
  return out
}

/** Whether the snippet declares or imports `name` itself. */
function defines(code: string, name: string): boolean {
  return (
    new RegExp(`\\b(const|let|var|function|class)\\s+${name}\\b`).test(code) ||
    new RegExp(`import\\s[^;]*?\\b${name}\\b[^;]*?\\sfrom\\s`).test(code)
  )
}

/** The snippet as a module: an import of the stand-ins it needs, then the snippet as written. */
function moduleOf(s: Snippet): string {
  const needs = STAND_INS.filter((n) => new RegExp(`\\b${n}\\b`).test(s.code) && !defines(s.code, n))
  const head = needs.length === 0 ? '' : `import { ${needs.join(', ')} } from './stand-ins.mjs'\n`
  return `${head}${s.code}\nexport {}\n`
}

// Under the root's node_modules/, so the snippets' other imports (express, ioredis…) resolve as in a user's
// project; `cachestack` is the built package, linked by name.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true })
const dir = mkdtempSync(join(root, 'node_modules/.cache/readme-'))
mkdirSync(join(dir, 'node_modules'))
symlinkSync(root, join(dir, 'node_modules/cachestack'), 'dir')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ code: number | null; output: string; timedOut: boolean }>((resolve) => {
    const child = spawn(cmd, args, { cwd: dir, env: { ...process.env, ...env } })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output, timedOut })
    })
  })
}

const all = snippets()

describe.skipIf(!built)('the README snippets', { timeout: 300_000 }, () => {
  const files = all.map((s) => {
    const file = `snippet-${s.line}.mts` // .mts: ESM under node_modules/ too
    writeFileSync(join(dir, file), moduleOf(s))
    return { ...s, file }
  })
  writeFileSync(join(dir, 'stand-ins.mts'), readFileSync(join(import.meta.dirname, 'readme/stand-ins.ts')))
  writeFileSync(join(dir, 'preload.mts'), readFileSync(join(import.meta.dirname, 'readme/preload.ts')))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: ['node'],
        skipLibCheck: true,
        noUnusedLocals: false,
      },
      files: ['stand-ins.mts', 'preload.mts', ...files.map((f) => f.file)],
    }),
  )

  it('finds the snippets', () => {
    expect(all.length).toBeGreaterThan(20)
  })

  it('every snippet compiles under tsc --strict', async () => {
    const tsc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], {}, 240_000)
    // Name each error by the README line its snippet starts at.
    expect(tsc.output.replace(/snippet-(\d+)\.mts/g, 'README.md snippet at line $1')).toBe('')
    expect(tsc.code).toBe(0)
  })

  it('every snippet runs to its end and exits by itself (Redis at REDIS_URL)', async () => {
    if (!(await redisAvailable())) return
    const cacheDir = mkdtempSync(join(dir, 'cachedir-'))
    const failures: string[] = []
    for (const f of files) {
      const r = await run(
        process.execPath,
        ['--import', 'tsx', '--import', './preload.mts', f.file],
        { REDIS_URL, CACHESTACK_DIR: cacheDir, CACHE_TOKEN: 'readme-token', SESSION_SECRET: 'readme' },
        30_000,
      )
      if (r.timedOut) failures.push(`README.md line ${f.line}: did not exit within 30 s (something left open?)`)
      else if (r.code !== 0) failures.push(`README.md line ${f.line}: exit ${r.code}\n${r.output.slice(0, 1500)}`)
    }
    expect(failures).toEqual([])
  })
})
