/**
 * The test Redis (CACHESTACK_TEST_REDIS_URL, set by the global setup test/setup/servers.ts), shared by the
 * tests of every area: whether it answers (under CI a missing Redis fails
 * instead of skipping), a unique key prefix per test file, and a client that
 * cleans up its prefix. Tests that stop or kill Redis start their own with
 * `startRedis()` (servers.ts) instead.
 * @module
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { redisUrl, STANDING_PORTS } from '../../scripts/servers/standing.mjs'

/** The shared test Redis; unset only when redis-server is missing, and then nothing answers here. */
export const REDIS_URL =
  process.env.CACHESTACK_TEST_REDIS_URL || process.env.REDIS_URL || redisUrl(STANDING_PORTS.redis)
const parsed = new URL(REDIS_URL)
/** Host and port of {@link REDIS_URL}, for clients that take them apart. */
export const REDIS_HOST = parsed.hostname
export const REDIS_PORT = Number(parsed.port || 6379)

/** Whether Redis answers; under CI a missing Redis is an error, not a skip. */
export async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  try {
    await probe.connect()
    await probe.ping()
    return true
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is unreachable: ${String(err)}`)
    console.warn(
      `skipping: Redis at ${REDIS_URL} is unreachable (run scripts/test-servers.sh install, or set REDIS_URL)`,
    )
    return false
  } finally {
    probe.disconnect()
  }
}

/** A unique key prefix for one test file. */
export function uniquePrefix(area: string): string {
  return `cs-test-${area}-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`
}

/**
 * A client of the test Redis for one describe block: connected before its
 * tests, and afterwards the keys under `prefix` are deleted and it disconnects.
 * Read `.client` inside tests (it is set in `beforeAll`).
 */
export function redisClientFor(prefix: string): { client: Redis } {
  const holder = { client: undefined as unknown as Redis }
  beforeAll(() => {
    holder.client = new Redis(REDIS_URL)
  })
  afterAll(async () => {
    const keys = await holder.client.keys(`${prefix}*`)
    if (keys.length > 0) await holder.client.del(...keys)
    holder.client.disconnect()
  })
  return holder
}
