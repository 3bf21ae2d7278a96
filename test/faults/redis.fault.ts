/** Redis behind the fault proxy: the tier scenarios (scenarios.ts). */
import { describe } from 'vitest'
import { redisStore } from '../../src/redis.js'
import { missingServers, startRedis } from '../helpers/servers.js'
import { COOLDOWN, TIMEOUT, tierScenarios } from './scenarios.js'

describe.skipIf(missingServers('redis') !== undefined)('Redis tier under faults', () => {
  tierScenarios({
    name: 'redis',
    start: startRedis,
    tier: (address) =>
      redisStore({
        url: `redis://${address}`,
        timeout: TIMEOUT,
        connectTimeout: TIMEOUT,
        breaker: { failures: 3, cooldown: COOLDOWN },
        prefix: 'faults:',
      }),
  })
})
