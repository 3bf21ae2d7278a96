// Vitest global setup: the Redis and PostgreSQL most tests share. A URL already
// in REDIS_URL / DATABASE_URL is used as it is; else the standing servers of
// `scripts/test-servers.sh start` (127.0.0.1:16379 and :15432) when they answer;
// else private ones, started here from the installed binaries on free ports and
// stopped when the run ends. The workers read the addresses from
// CACHESTACK_TEST_REDIS_URL / CACHESTACK_TEST_DATABASE_URL, through
// test/helpers/redis.ts and test/helpers/postgres.ts; REDIS_URL and DATABASE_URL
// are left as they were, so the demo and other apps a test starts keep their
// embedded default unless the test hands them a URL.
//
// A binary that is missing skips the tests that need it, with a message naming
// the install command; under CI=true it fails the run instead.
import { ensureServers } from '../../scripts/servers/standing.mjs'

export default async function servers(): Promise<() => Promise<void>> {
  const verbose = process.env.CACHESTACK_SERVERS_VERBOSE === '1'
  const got = await ensureServers(['redis', 'postgres'], {
    exportAs: { redis: 'CACHESTACK_TEST_REDIS_URL', postgres: 'CACHESTACK_TEST_DATABASE_URL' },
    log: (line: string) => {
      if (verbose) console.log(`[servers] ${line}`)
    },
  })
  if (got.missing.length > 0) {
    const message = `test servers unavailable: ${got.missing.join('; ')}`
    if (process.env.CI === 'true') {
      await got.stop()
      throw new Error(`CI=true and ${message}`)
    }
    console.warn(`[servers] ${message}; the tests that need them skip`)
  }
  return got.stop
}
