/**
 * One budget per call: the longest a user's call waits on its tiers, all of
 * their operations together. A tier's `timeout` bounds one operation; a call
 * that reads, then writes after a load, would otherwise wait up to one
 * timeout per operation on a frozen server (and the first call on a server
 * that accepts but never answers, its connect timeout on top).
 * @module
 */
import { CacheError } from './errors.js'

/** The deadline of a call that starts now, on `performance.now()`'s scale. */
export function deadlineOf(budget: number): number {
  return budget === Number.POSITIVE_INFINITY ? budget : performance.now() + budget
}

const OVER = Symbol('over budget')

/**
 * Waits for `work` until `deadline`: its result, or `fallback` once the
 * deadline passes (`work` goes on; a later rejection is dropped, the tier
 * having counted it). In `strict` mode the budget running out rejects with
 * `ERR_CACHE_TIMEOUT` instead.
 */
export async function withinBudget<T, F>(
  work: Promise<T>,
  deadline: number,
  fallback: F,
  strict: boolean,
  what: string,
): Promise<T | F> {
  if (deadline === Number.POSITIVE_INFINITY) return work
  const ms = deadline - performance.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const over =
    ms <= 0
      ? Promise.resolve(OVER)
      : new Promise<typeof OVER>((resolve) => {
          timer = setTimeout(resolve, ms, OVER)
        })
  try {
    const got = await Promise.race([work, over])
    if (got !== OVER) return got as T
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
  work.catch(() => {})
  if (strict) {
    throw new CacheError(
      'ERR_CACHE_TIMEOUT',
      `The call's tier budget ran out while ${what}: raise the cache's budget option or check the tier.`,
    )
  }
  return fallback
}
