/**
 * `cachestack sw build`: writes the service worker for a manifest (see
 * `buildServiceWorker` in `cachestack/sw`), as a build step.
 *
 * ```sh
 * cachestack sw build --manifest dist/manifest.json --out dist/sw.js \
 *   [--precache /,/about] [--offline /offline.html] [--config sw.json] [--json]
 * cachestack sw build --dir public [--prefix /assets/] --out public-root/sw.js
 * ```
 *
 * `--config` is a JSON file with `buildServiceWorker`'s options but
 * `manifest` and `include` (routes' `match` a path prefix, or a regular
 * expression as a string starting with `^`); flags win over the file.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { CacheError, isCacheError } from '../core/errors.js'
import { fingerprintAssets } from '../http/assets/fingerprint.js'
import { buildServiceWorker } from '../http/sw/build.js'
import type { ServiceWorkerOptions } from '../http/sw/options.js'
import type { Io } from './io.js'

const USAGE = `Usage: cachestack sw build (--manifest FILE | --dir DIR) --out FILE [options]

Writes a service worker that precaches the fingerprinted assets (cache-first),
serves pages network-first with an offline page, and the routes of --config.

  --manifest FILE   the manifest JSON written by AssetManifest.write ({ "app.css": "/assets/app.3f2a….css" })
  --dir DIR         or: fingerprint DIR now (as fingerprintAssets), so HTML changes change the version too
  --prefix PATH     with --dir: the URL prefix of the assets (default /assets/)
  --out FILE        where to write the worker (serve it at the root, e.g. /sw.js, with Cache-Control: no-cache)
  --precache LIST   more URLs to precache, comma-separated (e.g. /,/about)
  --offline URL     the page shown for a failed navigation with nothing stored (precached)
  --config FILE     JSON with buildServiceWorker's options (routes, navigations, name, version, …)
  --json            print the result as JSON
  --help            this text
`

/** @internal Runs `cachestack sw …` (argv after `sw`); resolves the exit code. */
export async function runSwCommand(argv: readonly string[], io: Io): Promise<number> {
  let values: Record<string, string | boolean | undefined>
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        manifest: { type: 'string' },
        dir: { type: 'string' },
        prefix: { type: 'string' },
        out: { type: 'string' },
        precache: { type: 'string' },
        offline: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (error) {
    io.err(`cachestack sw: ${(error as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help === true) {
    io.out(USAGE)
    return 0
  }
  const usage = (message: string) => {
    io.err(`cachestack sw: ${message}\n${USAGE}`)
    return 2
  }
  if (positionals[0] !== 'build' || positionals.length > 1) return usage('the subcommand is "build".')
  if ((values.manifest === undefined) === (values.dir === undefined)) return usage('give one of --manifest or --dir.')
  if (typeof values.out !== 'string') return usage('--out FILE is required.')
  try {
    const config: Partial<ServiceWorkerOptions> =
      typeof values.config === 'string' ? JSON.parse(await readFile(values.config, 'utf8')) : {}
    if (config === null || typeof config !== 'object' || Array.isArray(config) || 'manifest' in config) {
      throw new CacheError('ERR_CACHE_INVALID_OPTION', '--config must hold a JSON object without "manifest".')
    }
    const manifest =
      typeof values.dir === 'string'
        ? await fingerprintAssets({
            dir: values.dir,
            ...(typeof values.prefix === 'string' ? { prefix: values.prefix } : {}),
          })
        : JSON.parse(await readFile(values.manifest as string, 'utf8'))
    const precache =
      typeof values.precache === 'string' ? values.precache.split(',').filter((u) => u !== '') : undefined
    const sw = buildServiceWorker({
      ...config,
      manifest,
      ...(precache === undefined ? {} : { precache: [...(config.precache ?? []), ...precache] }),
      ...(typeof values.offline === 'string' ? { offline: values.offline } : {}),
    })
    await sw.write(values.out)
    const result = { out: values.out, version: sw.version, precache: sw.precache, bytes: Buffer.byteLength(sw.source) }
    io.out(
      values.json === true
        ? JSON.stringify(result, null, 2)
        : `wrote ${values.out}: version ${sw.version}, ${sw.precache.length} URLs precached, ${result.bytes} bytes`,
    )
    return 0
  } catch (error) {
    const code = isCacheError(error) ? ` (${error.code})` : ''
    io.err(`cachestack sw: ${error instanceof Error ? error.message : String(error)}${code}`)
    return 1
  }
}
