/**
 * The package as npm publishes it: packed with `npm pack`, unpacked into a
 * bare project, and compiled there by a user's strict tsconfig. `npm test`
 * builds first.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const built = existsSync(join(root, 'dist/esm/index.js'))
const dir = mkdtempSync(join(tmpdir(), 'cachestack-pack-'))
let files: string[] = []
let manifest: { scripts?: Record<string, string> } = {}

beforeAll(() => {
  if (!built) return
  // --ignore-scripts: the test's build is the one packed (prepack would rebuild it).
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
  })
  const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }]
  files = info.files.map((f) => f.path)
  const pkgDir = join(dir, 'app/node_modules/cachestack')
  mkdirSync(pkgDir, { recursive: true })
  execFileSync('tar', ['-xzf', join(dir, info.filename), '-C', pkgDir, '--strip-components=1'])
  manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.skipIf(!built)('the published package', { timeout: 120_000 }, () => {
  it('ships no source map pointing at files it does not ship', () => {
    expect(files.length).toBeGreaterThan(50)
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    expect(files.filter((f) => f.startsWith('src/'))).toEqual([])
    const js = readFileSync(join(dir, 'app/node_modules/cachestack/dist/esm/index.js'), 'utf8')
    expect(js).not.toContain('sourceMappingURL')
  })

  it('keeps no install-time script in its manifest (prepare would run npm run build in a user project)', () => {
    expect(manifest.scripts?.prepare).toBeUndefined()
    expect(manifest.scripts?.install).toBeUndefined()
    expect(manifest.scripts?.postinstall).toBeUndefined()
  })

  it('compiles under tsc --strict without @types/better-sqlite3 (or better-sqlite3) installed', () => {
    const app = join(dir, 'app')
    mkdirSync(join(app, 'node_modules/@types'), { recursive: true })
    // What any Node project has; ioredis ships its own types (the Redis journal's users have it).
    symlinkSync(join(root, 'node_modules/@types/node'), join(app, 'node_modules/@types/node'))
    symlinkSync(join(root, 'node_modules/ioredis'), join(app, 'node_modules/ioredis'))
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }))
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
        },
        include: ['index.ts'],
      }),
    )
    writeFileSync(
      join(app, 'index.ts'),
      [
        "import { createCache, memoryStore } from 'cachestack'",
        "import { cachedQuery, memoize, type SqliteDatabase } from 'cachestack/strategies'",
        "import { cachedFetch } from 'cachestack/http'",
        "import { dashboard } from 'cachestack/dashboard'",
        "import { createProxy } from 'cachestack/proxy'",
        'const cache = createCache({ tiers: [memoryStore()] })',
        'declare const db: SqliteDatabase',
        'export const q = cachedQuery(db, { cache })',
        'export const m = memoize((n: number) => n * 2, { cache })',
        'export const f = cachedFetch({ cache })',
        'export const d = dashboard(cache)',
        "export const p = createProxy({ origin: 'http://127.0.0.1:1', cache })",
        '',
      ].join('\n'),
    )
    let output = ''
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], { encoding: 'utf8' })
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error)
    }
    expect(output).toBe('')
  })
})
