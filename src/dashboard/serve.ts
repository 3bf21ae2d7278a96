/**
 * The dashboard on its own node:http server, for `cachestack dashboard` and for
 * apps that would rather not mount it.
 * @module
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Cache } from '../core/cache.js'
import { CacheError } from '../core/errors.js'
import { type DashboardOptions, dashboard } from './handler.js'

/** Options of {@link serveDashboard}: the dashboard's, plus where to listen. */
export interface ServeDashboardOptions extends DashboardOptions {
  /** The port; 0 picks a free one. @defaultValue 4747 */
  port?: number
  /** The interface to listen on. @defaultValue `'127.0.0.1'` (this machine only) */
  host?: string
}

/** A running dashboard server. */
export interface DashboardServer {
  /** The dashboard's address, for example `http://127.0.0.1:4747/_cachestack`. */
  readonly url: string
  /** The port it listens on. */
  readonly port: number
  /** Stops the server and the dashboard. */
  close(): Promise<void>
}

/**
 * Serves the dashboard for `cache` on its own HTTP server (`/` redirects to it).
 *
 * @param cache - the cache to watch
 * @param options - the {@link DashboardOptions}, `port` and `host`
 * @throws CacheError `ERR_CACHE_UNAVAILABLE` when the port is taken
 * @example
 * ```ts
 * const server = await serveDashboard(cache, { port: 4747, auth: { token: process.env.CACHE_TOKEN! } })
 * console.log(`dashboard: ${server.url}`)
 * ```
 */
export async function serveDashboard(cache: Cache, options: ServeDashboardOptions = {}): Promise<DashboardServer> {
  const { port = 4747, host = '127.0.0.1', ...rest } = options
  const handler = dashboard(cache, rest)
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '') {
      res.writeHead(302, { location: `${handler.path}/` }).end()
      return
    }
    handler(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      handler.close()
      reject(
        new CacheError(
          'ERR_CACHE_UNAVAILABLE',
          error.code === 'EADDRINUSE'
            ? `Port ${port} on ${host} is taken: pass another port (or 0 for a free one).`
            : `The dashboard could not listen on ${host}:${port}: ${error.message}`,
          { cause: error },
        ),
      )
    })
    server.listen(port, host, resolve)
  })
  const actual = (server.address() as AddressInfo).port
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${actual}${handler.path}/`,
    port: actual,
    close() {
      handler.close()
      server.closeAllConnections?.()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
