import { afterAll, beforeAll } from 'vitest'
import { igniteStore } from '../../src/ignite.js'
import { startIgnite, type TestIgnite } from '../helpers/distributed.js'
import { missingServers } from '../helpers/servers.js'
import { storeContract } from './store-contract.js'

// One Ignite node of its own, so the fail-open test can kill it for real.
const missing = missingServers('ignite')
let node: TestIgnite | undefined
beforeAll(async () => {
  if (missing === undefined) node = await startIgnite()
}, 120_000)
afterAll(() => node?.stop())

if (missing === undefined) {
  storeContract('ignite', {
    make: (guard) => igniteStore({ endpoints: node!.endpoint, prefix: 'contract:', warn: false, ...guard }),
    stop: () => node!.kill(),
    restart: () => node!.restart(),
  })
}
