/**
 * `cachestack/dashboard`: a live web dashboard for a cache, mountable in
 * node:http, Express, Fastify and Hono, or served on its own. No build step,
 * no dependencies: one HTML page fed by Server-Sent Events.
 *
 * @example
 * ```ts
 * import { dashboard } from 'cachestack/dashboard'
 *
 * app.use(dashboard(cache, { auth: { token: process.env.CACHE_TOKEN! } })) // then open /_cachestack
 * ```
 * @module
 */
export {
  type DashboardHandler,
  type DashboardOptions,
  type DashboardServer,
  type DashboardSnapshot,
  dashboard,
  describeType,
  type HistoryPoint,
  inspectKey,
  type KeyLookup,
  type ServeDashboardOptions,
  serveDashboard,
  type TierEntry,
  type TierView,
} from './dashboard/index.js'
