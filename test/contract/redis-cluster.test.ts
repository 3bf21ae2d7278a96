import { afterAll, beforeAll } from 'vitest'
import { redisStore } from '../../src/redis.js'
import { missingServers, startRedisCluster, type TestCluster } from '../helpers/servers.js'
import { storeContract } from './store-contract.js'

// A three-master Cluster of this file's own: many-key operations, clear and
// the version counters must work across slots and nodes.
const missing = missingServers('cluster')
let cluster: TestCluster | undefined
beforeAll(async () => {
  if (missing === undefined) cluster = await startRedisCluster()
}, 60_000)
afterAll(() => cluster?.stop())

if (missing === undefined) {
  storeContract('redis cluster', {
    make: (guard) => redisStore({ cluster: cluster!.nodes, prefix: 'contract:', ...guard }),
  })
}
