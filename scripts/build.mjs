// Builds ESM and CommonJS from one source with tsc, then checks that the
// package.json exports map and the entry files in src/ agree.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
rmSync(join(root, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.cjs.json'], { cwd: root, stdio: 'inherit' })
writeFileSync(join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n')
writeFileSync(join(root, 'dist/esm/package.json'), '{ "type": "module" }\n')

// Every src/<entry>.ts (and src/index.ts) must have an exports entry, and every
// exports entry must point at built files that exist.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const entries = readdirSync(join(root, 'src'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
const problems = []
for (const entry of entries) {
  const sub = entry === 'index' ? '.' : `./${entry}`
  if (!pkg.exports[sub]) problems.push(`src/${entry}.ts has no "${sub}" in package.json exports`)
}
for (const [sub, target] of Object.entries(pkg.exports)) {
  if (typeof target === 'string') continue
  for (const cond of ['import', 'require']) {
    for (const file of Object.values(target[cond] ?? {})) {
      if (!existsSync(join(root, file))) problems.push(`exports["${sub}"].${cond} points at missing ${file}`)
    }
  }
}
if (problems.length > 0) {
  console.error(`build: exports map and sources disagree:\n- ${problems.join('\n- ')}`)
  process.exit(1)
}
console.log(`build: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} built (ESM + CJS)`)
