/** `npm run demo`: starts the catalog demo and prints where everything is. */
import { startDemo } from './app.js'

const demo = await startDemo()
console.log(`
cachestack demo
  app        ${demo.url}/
  API        ${demo.url}/api/products?page=1   ${demo.url}/api/products/42   ${demo.url}/api/search?q=eco
  stats      ${demo.url}/_demo/stats
  database   ${demo.db.kind}   pricing service ${demo.pricing.url}
  tiers      ${demo.tiers}
  compare    add ?cache=off to any URL, or run: npm run demo:load
`)
const stop = async () => {
  await demo.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
