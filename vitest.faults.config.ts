import { defineConfig } from 'vitest/config'

/**
 * `npm run test:faults`: the fault suite (test/faults, a TCP fault proxy
 * between the library and each server) and the hostile-input property tests
 * at 100,000 cases each, with the linear-time checks on.
 */
export default defineConfig({
  test: {
    include: ['test/hostile/**/*.test.ts', 'test/faults/**/*.fault.ts'],
    globalSetup: ['test/setup/servers.ts', 'test/faults/report-setup.ts'],
    setupFiles: ['test/setup/cache-dir.ts'],
    env: { CACHESTACK_PROPERTY_RUNS: '100000', CACHESTACK_FAULTS: '1' },
    testTimeout: 600_000,
    hookTimeout: 60_000,
    // One file at a time: the fault scenarios measure waits, and the machine has two cores.
    fileParallelism: false,
  },
})
