#!/usr/bin/env node
/**
 * The `cachestack` command (package.json `bin`). See `cachestack --help`.
 * @module
 */
import { runCli } from './run.js'

void runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  untilStopped: () =>
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    }),
}).then((code) => {
  process.exitCode = code
})
