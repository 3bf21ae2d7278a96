/**
 * `cachestack/log`: a cache's events as log lines, for pino or any logger
 * with the same methods.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * import { logEvents } from 'cachestack/log'
 * logEvents(cache, pino())
 * ```
 * @module
 */
export { type EventLogger, type LogEventsOptions, logEvents } from './integrations/log/log-events.js'
