#!/usr/bin/env node
/**
 * The `cachestack` command (package.json `bin`). See `cachestack --help`.
 * @module
 */
import { processIo } from './io.js'
import { runCli } from './run.js'

void runCli(process.argv.slice(2), processIo).then((code) => {
  process.exitCode = code
})
