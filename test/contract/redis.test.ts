import { afterAll, beforeAll } from 'vitest'
import { redisStore } from '../../src/redis.js'
import { missingServers, startRedis, type TestServer } from '../helpers/servers.js'
import { storeContract } from './store-contract.js'

// Its own redis-server, so the fail-open test can kill it for real.
const missing = missingServers('redis')
let server: TestServer | undefined
beforeAll(async () => {
  if (missing === undefined) server = await startRedis()
})
afterAll(() => server?.stop())

if (missing === undefined) {
  storeContract('redis', {
    make: (guard) => redisStore({ url: server!.url, prefix: 'contract:', ...guard }),
    stop: () => server!.kill(),
    restart: () => server!.restart(),
  })
  // Every read through the one-round-trip Lua script (the default switches to it only while tagged hits are common).
  storeContract("redis (tagReads: 'script')", {
    make: (guard) => redisStore({ url: server!.url, prefix: 'contract-script:', tagReads: 'script', ...guard }),
  })
}
