export { buildServiceWorker, type ServiceWorkerBuild } from './build.js'
export { clearSiteData } from './clear-site-data.js'
export type { ServiceWorkerOptions, SwRoute, SwStrategy } from './options.js'
export { registerServiceWorker } from './register.js'
