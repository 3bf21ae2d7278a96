/**
 * `cachestack/otel`: OpenTelemetry spans and metrics for a cache, through
 * `@opentelemetry/api` (an optional peer dependency). Without an SDK
 * registered, everything is the API's no-op.
 *
 * @example
 * ```ts
 * import { instrumentCache } from 'cachestack/otel'
 * instrumentCache(cache, { name: 'api' })
 * ```
 * @module
 */
export { instrumentCache, type OtelHandle, type OtelOptions } from './metrics/otel.js'
