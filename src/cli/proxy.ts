#!/usr/bin/env node
/**
 * The runnable `cachestack proxy` on its own: `node dist/esm/cli/proxy.js --origin URL …`
 * (a leading `proxy` argument is accepted). The `cachestack` command runs the
 * same code for `cachestack proxy …`.
 * @module
 */
import { processIo } from './io.js'
import { runProxyCommand } from './proxy-command.js'

const args = process.argv.slice(2)
void runProxyCommand(args[0] === 'proxy' ? args.slice(1) : args, processIo).then((code) => process.exit(code))
