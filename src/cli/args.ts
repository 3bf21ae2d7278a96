/**
 * The CLI's argument parser: `cachestack <command> [positionals] [--flag value]`.
 * Small on purpose (no dependency): long flags only, `--flag=value` or
 * `--flag value`, booleans without a value, `--no-flag` for false.
 * @module
 */

/** Flags that take no value. */
const BOOLEAN = new Set(['json', 'help', 'values', 'version'])

/** @internal A parsed command line. */
export interface Parsed {
  command: string | undefined
  positionals: string[]
  flags: Record<string, string | boolean>
}

/** @internal thrown for a command line the CLI cannot read */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** @internal */
export function parseArgs(argv: readonly string[]): Parsed {
  const positionals: string[] = []
  // No prototype: `--constructor` or `--__proto__` is an unknown flag, not an inherited value.
  const flags = Object.create(null) as Record<string, string | boolean>
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-h') {
      flags.help = true
      continue
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    if (name.startsWith('no-') && BOOLEAN.has(name.slice(3))) {
      flags[name.slice(3)] = false
    } else if (BOOLEAN.has(name)) {
      flags[name] = eq === -1 ? true : arg.slice(eq + 1) !== 'false'
    } else if (eq !== -1) {
      flags[name] = arg.slice(eq + 1)
    } else {
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('--')) {
        // Left for the command to judge: an unknown flag is reported as unknown, a known one as missing its value.
        flags[name] = true
        continue
      }
      flags[name] = next
      i++
    }
  }
  const [command, ...rest] = positionals
  return { command, positionals: rest, flags }
}

/** @internal A string flag, or `undefined`. */
export function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw new UsageError(`--${name} needs a value.`)
  return v
}

/** @internal A positive integer flag with a default. */
export function intFlag(p: Parsed, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = flag(p, name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new UsageError(`--${name} must be an integer from 0 to ${max}; got ${JSON.stringify(v)}.`)
  return n
}
