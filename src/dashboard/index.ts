export { type DashboardHandler, type DashboardOptions, dashboard } from './handler.js'
export { describeType, inspectKey, type KeyLookup, type TierEntry } from './inspect.js'
export type { DashboardSnapshot, HistoryPoint, TierView } from './monitor.js'
export { type DashboardServer, type ServeDashboardOptions, serveDashboard } from './serve.js'
