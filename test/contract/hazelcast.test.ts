import { afterAll, beforeAll } from 'vitest'
import { hazelcastStore } from '../../src/hazelcast.js'
import { startHazelcast, type TestHazelcast } from '../helpers/distributed.js'
import { missingServers } from '../helpers/servers.js'
import { storeContract } from './store-contract.js'

// A cluster of two members of its own: the fail-open test kills both for real
// (a single member killed is test/stores/hazelcast.test.ts's).
const missing = missingServers('hazelcast')
let cluster: TestHazelcast | undefined
beforeAll(async () => {
  if (missing === undefined) cluster = await startHazelcast({ members: 2 })
}, 120_000)
afterAll(() => cluster?.stop())

if (missing === undefined) {
  storeContract('hazelcast', {
    make: (guard) =>
      hazelcastStore({ members: cluster!.members, clusterName: cluster!.clusterName, prefix: 'contract:', ...guard }),
    stop: () => cluster!.kill(),
    restart: () => cluster!.restart(),
  })
}
