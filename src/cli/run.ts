/**
 * The CLI without the process around it: parses, dispatches, and turns every
 * failure into a message that says what to fix and an exit code (2 for a bad
 * command line, 1 for anything else), so it can be tested in-process.
 * @module
 */
import { isCacheError } from '../core/errors.js'
import { parseArgs, UsageError } from './args.js'
import { COMMANDS, COMMON_FLAGS, commandHelp, type Io, mainHelp } from './commands.js'

/** @internal Runs the CLI with `argv` (without `node` and the script); resolves the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  if (argv[0] === 'proxy') {
    // The proxy has its own flags (issue 11); loaded only when asked for.
    const { runProxyCommand } = await import('./proxy-command.js')
    return runProxyCommand(argv.slice(1), io)
  }
  if (argv[0] === 'sw') {
    const { runSwCommand } = await import('./sw-command.js')
    return runSwCommand(argv.slice(1), io)
  }
  try {
    const p = parseArgs(argv)
    if (p.command === undefined || p.command === 'help') {
      const topic = p.positionals[0] === undefined ? undefined : COMMANDS.find((c) => c.name === p.positionals[0])
      io.out(topic === undefined ? mainHelp() : commandHelp(topic))
      return p.command === undefined && p.flags.help !== true ? 2 : 0
    }
    const command = COMMANDS.find((c) => c.name === p.command)
    if (command === undefined) {
      throw new UsageError(`Unknown command "${p.command}". Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`)
    }
    if (p.flags.help === true) {
      io.out(commandHelp(command))
      return 0
    }
    // A mistyped flag (--prefx) must not be ignored: the command would read the wrong place and look fine.
    const known = new Set([...COMMON_FLAGS, ...(command.flags ?? [])])
    for (const name of Object.keys(p.flags)) {
      if (!known.has(name)) {
        throw new UsageError(
          `Unknown option --${name} for "${command.name}". Its options: ${[...known].map((f) => `--${f}`).join(', ')}.`,
        )
      }
    }
    return await command.run(p, io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`cachestack: ${error.message}\nRun "cachestack --help" for usage.`)
      return 2
    }
    if (isCacheError(error)) {
      io.err(`cachestack: ${error.message} (${error.code})`)
      return 1
    }
    io.err(`cachestack: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
}
