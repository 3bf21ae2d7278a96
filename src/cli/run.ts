/**
 * The CLI without the process around it: parses, dispatches, and turns every
 * failure into a message that says what to fix and an exit code (2 for a bad
 * command line, 1 for anything else), so it can be tested in-process.
 * @module
 */
import { isCacheError } from '../core/errors.js'
import { parseArgs, UsageError } from './args.js'
import { COMMANDS, commandHelp, type Io, mainHelp } from './commands.js'

/** @internal Runs the CLI with `argv` (without `node` and the script); resolves the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
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
