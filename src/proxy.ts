/**
 * A caching reverse proxy: a shared HTTP cache (RFC 9111) in front of any
 * origin, as a library (`createProxy`) and as the `cachestack proxy` command.
 * Stored responses live in a cachestack cache, so a Redis tier and bus share
 * them, and purges, across proxy processes.
 *
 * @example
 * ```ts
 * import { createProxy } from 'cachestack/proxy'
 *
 * createProxy({ origin: 'http://127.0.0.1:3000' }).listen(8080)
 * ```
 * @module
 */
export * from './http/proxy/index.js'
