#!/usr/bin/env node
/**
 * The runnable `cachestack proxy`: `node dist/esm/cli/proxy.js --origin URL …`
 * (a leading `proxy` argument is accepted, so `cachestack proxy …` maps here).
 * @module
 */
import { main } from './proxy-command.js'

const args = process.argv.slice(2)
main(args[0] === 'proxy' ? args.slice(1) : args).catch((err: unknown) => {
  process.stderr.write(`cachestack proxy: ${(err as Error).message}\n`)
  process.exit(1)
})
