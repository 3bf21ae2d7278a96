// Vitest global setup: the Redis and PostgreSQL most tests share. A URL already
// in REDIS_URL / DATABASE_URL is used as it is; else the standing servers of
// `scripts/test-servers.sh start` (127.0.0.1:16379 and :15432) when they answer;
// else private ones, started here from the installed binaries on free ports and
// stopped when the run ends. The workers read the addresses from the same two
// variables (test/helpers/redis.ts, test/helpers/postgres.ts).
//
// A binary that is missing skips the tests that need it, with a message naming
// the install command; under CI=true it fails the run instead.
import { ensureServers } from '../../scripts/servers/standing.mjs'

export default async function servers(): Promise<() => Promise<void>> {
  const verbose = process.env.CACHESTACK_SERVERS_VERBOSE === '1'
  const got = await ensureServers(['redis', 'postgres'], {
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
