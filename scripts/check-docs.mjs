// Fails when an export of a package entry (src/<entry>.ts) has no TSDoc comment,
// or an entry file does not open with a @module comment.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

const root = new URL('..', import.meta.url).pathname
const entries = readdirSync(join(root, 'src'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => join(root, 'src', f))
const program = ts.createProgram(entries, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
})
const checker = program.getTypeChecker()
const missing = []
for (const file of entries) {
  const source = program.getSourceFile(file)
  if (!/@module/.test(readFileSync(file, 'utf8'))) missing.push(`${file.slice(root.length)}: no @module comment`)
  const moduleSymbol = source && checker.getSymbolAtLocation(source)
  if (!moduleSymbol) continue
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const documented =
      symbol.getDocumentationComment(checker).length > 0 ||
      (symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0)
    if (!documented) missing.push(`${file.slice(root.length)}: export "${exported.name}" has no TSDoc`)
  }
}
if (missing.length > 0) {
  console.error(`check-docs: ${missing.length} problem(s):\n- ${missing.join('\n- ')}`)
  process.exit(1)
}
console.log(`check-docs: every export of ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} is documented`)
