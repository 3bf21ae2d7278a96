/**
 * Loads an optional peer dependency synchronously, only when a feature needs
 * it, from the place the package is installed (not from the caller).
 *
 * One source builds to ESM and CommonJS, and `import.meta` does not compile
 * to CommonJS: so the CommonJS build uses its own `require`, and the ESM build
 * anchors `createRequire` at this file, found from the stack, falling back to
 * the working directory (where the application's node_modules usually are).
 * @module
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CacheError } from './errors.js'

let cached: NodeJS.Require | undefined

function anchoredRequire(): NodeJS.Require {
  if (cached !== undefined) return cached
  if (typeof require === 'function') return (cached = require)
  const stack = new Error().stack ?? ''
  const match = /(file:\/\/[^\s)]+?|\/[^\s():]+?)\.(?:[cm]?js|ts):\d+:\d+/.exec(stack)
  let base = join(process.cwd(), 'noop.js')
  if (match !== null) {
    const file = `${match[1]}.js`
    base = file.startsWith('file:') ? fileURLToPath(file) : file
  }
  cached = createRequire(base)
  return cached
}

function isMissing(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string } | null
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${name}'`)
}

/**
 * The peer `name`, or `undefined` when it is not installed. Other load errors
 * (a native module built for another Node version) are thrown as they are.
 */
export function tryLoadPeer<T>(name: string): T | undefined {
  const req = anchoredRequire()
  try {
    return req(name) as T
  } catch (error) {
    if (!isMissing(error, name)) throw error
    // Not found from this package's place (a linked or bundled copy): try the application's.
  }
  try {
    return createRequire(join(process.cwd(), 'noop.js'))(name) as T
  } catch (error) {
    if (isMissing(error, name)) return undefined
    throw error
  }
}

/**
 * The peer `name`, for a feature that cannot work without it.
 * @throws CacheError `ERR_CACHE_PEER_MISSING` naming the package to install
 */
export function loadPeer<T>(name: string, feature: string): T {
  const peer = tryLoadPeer<T>(name)
  if (peer === undefined) {
    throw new CacheError(
      'ERR_CACHE_PEER_MISSING',
      `${feature} needs the optional peer dependency "${name}": install it with \`npm install ${name}\`.`,
    )
  }
  return peer
}
