/** Connects to the test Redis, or fails (under CI) / skips with a message naming what is missing. */
import { Redis } from 'ioredis'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Whether Redis answers; under CI a missing Redis is an error, not a skip. */
export async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  try {
    await probe.connect()
    await probe.ping()
    return true
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is unreachable: ${String(err)}`)
    console.warn(`skipping: Redis at ${REDIS_URL} is unreachable (start redis-server, or set REDIS_URL)`)
    return false
  } finally {
    probe.disconnect()
  }
}

/** A unique key prefix for one test file. */
export function uniquePrefix(area: string): string {
  return `cs-test-${area}-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`
}
