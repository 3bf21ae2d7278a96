import { afterAll, beforeAll } from 'vitest'
import { memcachedStore } from '../../src/memcached.js'
import { missingServers, startMemcached, type TestMemcached } from '../helpers/servers.js'
import { storeContract } from './store-contract.js'

// Its own memcached (4 MB items, so the suite's 1 MB values fit), so the
// fail-open test can kill it for real.
const missing = missingServers('memcached')
let server: TestMemcached | undefined
beforeAll(async () => {
  if (missing === undefined) server = await startMemcached({ itemSize: 4 * 1024 * 1024 })
})
afterAll(() => server?.stop())

if (missing === undefined) {
  storeContract('memcached', {
    make: (guard) =>
      memcachedStore({ servers: server!.url, prefix: 'contract:', maxItemSize: server!.itemSize, ...guard }),
    stop: () => server!.kill(),
    restart: () => server!.restart(),
    clearsByPrefix: false,
  })
}
