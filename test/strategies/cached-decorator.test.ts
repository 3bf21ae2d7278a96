import { hash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../../src/index.js'
import { cached } from '../../src/strategies.js'

const root = join(import.meta.dirname, '..', '..')

/**
 * Emits test/strategies/fixtures/decorated.ts with the project's own tsconfig.json
 * settings (no experimentalDecorators: TypeScript lowers standard decorators) and
 * imports the result. `npm run typecheck` type-checks the same file.
 */
async function compileWithProjectSettings(): Promise<Record<string, unknown>> {
  const raw = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => readFileSync(p, 'utf8'))
  const parsed = ts.parseJsonConfigFileContent(raw.config, ts.sys, root)
  expect(parsed.options.experimentalDecorators).toBeFalsy()
  const fixture = join(root, 'test/strategies/fixtures/decorated.ts')
  const { outputText, diagnostics } = ts.transpileModule(readFileSync(fixture, 'utf8'), {
    compilerOptions: parsed.options,
    fileName: fixture.replace(/\.ts$/, '.mts'),
    reportDiagnostics: true,
  })
  expect(diagnostics ?? []).toEqual([])
  expect(outputText).toContain('__esDecorate')
  const dir = mkdtempSync(join(root, 'test/strategies/.compiled-'))
  try {
    const file = join(dir, 'decorated.mjs')
    writeFileSync(file, outputText.replaceAll('../../../src/', `${root}/src/`))
    return await import(file)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('@cached (TypeScript 5 standard decorators)', () => {
  it('compiles with the project settings and memoizes per instance', async () => {
    const mod = await compileWithProjectSettings()
    const Prices = mod.Prices as new (
      rate: number,
    ) => { quote(s: string): Promise<number>; sum(a: number, b: number): number; label(s: string): string }
    const calls = mod.calls as { quote: number; sum: number; label: number }
    const a = new Prices(2)
    const b = new Prices(3)
    expect(await a.quote('abc')).toBe(6)
    expect(await a.quote('abc')).toBe(6)
    expect(await b.quote('abc')).toBe(9)
    expect(calls.quote).toBe(2)
    expect(a.sum(1, 2)).toBe(5)
    expect(a.sum(1, 2)).toBe(5)
    expect(b.sum(1, 2)).toBe(6)
    expect(calls.sum).toBe(2)
    // scope: 'class' shares results between instances, in the given cache, under memo:<Class>.<method>,
    // keyed by a hash of the arguments.
    expect(a.label('x')).toBe('sku:x')
    expect(b.label('x')).toBe('sku:x')
    expect(calls.label).toBe(1)
    const shared = mod.shared as ReturnType<typeof createCache>
    expect(await shared.namespace('memo:Prices.label').get(`#${hash('sha256', 'x', 'base64url')}`)).toBe('sku:x')
    await (Prices.prototype.label as unknown as { clear(): Promise<void> }).clear()
    expect(a.label('x')).toBe('sku:x')
    expect(calls.label).toBe(2)
  })

  it('works as a plain function call too, and refuses non-methods', () => {
    const cache = createCache({ tiers: [memoryStore()] })
    let calls = 0
    const method = function (this: unknown, n: number) {
      calls++
      return n * 2
    }
    const ctx = {
      kind: 'method',
      name: 'double',
      private: false,
      static: false,
    } as unknown as ClassMethodDecoratorContext<unknown, typeof method>
    const wrapped = cached<unknown, [number], number>({ cache, scope: 'class' })(method, ctx)
    const self = {}
    expect(wrapped.call(self, 2)).toBe(4)
    expect(wrapped.call(self, 2)).toBe(4)
    expect(calls).toBe(1)
    const field = { kind: 'field', name: 'x' } as unknown as ClassMethodDecoratorContext<unknown, typeof method>
    expect(() => cached<unknown, [number], number>()(method, field)).toThrow(/class method/)
  })
})
