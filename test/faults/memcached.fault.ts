/** Memcached behind the fault proxy: the tier scenarios (scenarios.ts). */
import { describe } from 'vitest'
import { memcachedStore } from '../../src/memcached.js'
import { missingServers, startMemcached } from '../helpers/servers.js'
import { COOLDOWN, TIMEOUT, tierScenarios } from './scenarios.js'

describe.skipIf(missingServers('memcached') !== undefined)('Memcached tier under faults', () => {
  tierScenarios({
    name: 'memcached',
    start: () => startMemcached(),
    tier: (address) =>
      memcachedStore({
        servers: address,
        timeout: TIMEOUT,
        connectTimeout: TIMEOUT,
        breaker: { failures: 3, cooldown: COOLDOWN },
        prefix: 'faults:',
      }),
  })
})
