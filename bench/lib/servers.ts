/**
 * The Redis and PostgreSQL a benchmark uses: REDIS_URL / DATABASE_URL when set;
 * else the standing servers of `scripts/test-servers.sh start` when they answer;
 * else private ones started from the installed binaries for this process and
 * killed when it exits. `npm run bench` resolves them once for all its children.
 * A missing binary leaves its URL undefined: the rows that need it say so and
 * are skipped.
 */
import { ensureServers } from '../../scripts/servers/standing.mjs'

const got = await ensureServers(['redis', 'postgres'])
process.once('exit', got.stopNow)
for (const line of got.missing) console.log(`(no ${line})`)

/** The Redis the benchmarks use, or undefined when redis-server is missing. */
export const REDIS_URL: string | undefined = got.urls.redis
/** The PostgreSQL (database `test`) the benchmarks use, or undefined when it is missing. */
export const DATABASE_URL: string | undefined = got.urls.postgres

/** {@link REDIS_URL}, or exits the benchmark with a message when there is none. */
export function requireRedis(): string {
  if (REDIS_URL) return REDIS_URL
  console.log('(skipped: this benchmark needs Redis; run scripts/test-servers.sh install)')
  process.exit(0)
}
