/**
 * `cachestack/prometheus`: Prometheus metrics for a cache, on prom-client (an
 * optional peer dependency: install `prom-client` to use this entry).
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client'
 * import { registerMetrics } from 'cachestack/prometheus'
 *
 * const registry = new Registry()
 * registerMetrics(cache, { registry, name: 'api' })
 * // serve `await registry.metrics()` with `registry.contentType` on GET /metrics
 * ```
 * @module
 */
export { type MetricsHandle, type MetricsOptions, registerMetrics } from './metrics/prometheus.js'
