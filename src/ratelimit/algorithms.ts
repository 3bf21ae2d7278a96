/**
 * The three algorithms as pure functions over a small state record, in
 * integer arithmetic so the Lua scripts in redis-store.ts compute the very
 * same numbers (Redis runs Lua 5.1, whose numbers are doubles: every value
 * here stays an integer below 2^53).
 *
 * - fixed: a window opens at the first hit and admits `limit` units until it ends.
 * - sliding: two aligned windows, the previous one weighted by how much of it
 *   still overlaps the sliding window (the "sliding window counter" of
 *   Cloudflare and Upstash): smooth at window edges, two numbers per key.
 * - token-bucket: `limit` tokens, refilled continuously at `limit` per
 *   `window`; tokens are kept scaled by `window` so refill is integer.
 *
 * A call with `cost` 0 only looks: it writes nothing and reports whether one
 * unit would be admitted.
 * @module
 */

/** How requests are counted. */
export type Algorithm = 'fixed' | 'sliding' | 'token-bucket'

/** What one call decides, with times in milliseconds. */
export interface Decision {
  /** Whether the units were admitted. */
  allowed: boolean
  /** Units left in the current window (or tokens in the bucket), ≥ 0. */
  remaining: number
  /** Milliseconds until the quota is whole again (the window ends, the bucket is full). */
  reset: number
  /** When not admitted, milliseconds until the same call would be; 0 when admitted; -1 when it never will be (cost > limit). */
  retryAfter: number
  /** The policy's limit. */
  limit: number
  /** The policy's window in milliseconds. */
  window: number
}

/**
 * @internal The state of one key: three numbers whose meaning depends on the
 * algorithm. `expiresAt` 0 marks a state never written (a key not yet seen).
 */
export interface State {
  a: number
  b: number
  c: number
  /** When the state can be forgotten (absolute ms); 0 before the first write. */
  expiresAt: number
}

/**
 * Applies one call to `state`, writing it when units are taken (an unwritten
 * state stays at `expiresAt` 0, so the caller knows whether to keep it).
 * @internal
 */
export function decide(
  algorithm: Algorithm,
  state: State,
  now: number,
  limit: number,
  window: number,
  cost: number,
): Decision {
  if (algorithm === 'fixed') return fixed(state, now, limit, window, cost)
  if (algorithm === 'sliding') return sliding(state, now, limit, window, cost)
  return tokenBucket(state, now, limit, window, cost)
}

/** State: a = window start, b = count. */
function fixed(state: State, now: number, limit: number, window: number, cost: number): Decision {
  let start = now
  let count = 0
  if (state.expiresAt !== 0 && now < state.a + window) {
    start = state.a
    count = state.b
  }
  const probe = cost > 0 ? cost : 1
  const allowed = count + probe <= limit
  if (allowed && cost > 0) count += cost
  const reset = start + window - now
  if (allowed && cost > 0) {
    state.a = start
    state.b = count
    state.expiresAt = start + window
  }
  return {
    allowed,
    remaining: limit - count,
    reset,
    retryAfter: allowed ? 0 : probe > limit ? -1 : reset,
    limit,
    window,
  }
}

/** State: a = current window start (aligned to `window`), b = its count, c = the previous window's count. */
function sliding(state: State, now: number, limit: number, window: number, cost: number): Decision {
  const cur = now - (now % window)
  let curr = 0
  let prev = 0
  if (state.expiresAt !== 0) {
    if (state.a === cur) {
      curr = state.b
      prev = state.c
    } else if (state.a === cur - window) {
      prev = state.b
    }
  }
  const elapsed = now - cur
  const probe = cost > 0 ? cost : 1
  // prev × (window − elapsed) / window + curr + probe ≤ limit, multiplied out by window.
  const allowed = prev * (window - elapsed) + (curr + probe) * window <= limit * window
  if (allowed && cost > 0) curr += cost
  const used = prev * (window - elapsed) + curr * window
  const remaining = Math.max(0, Math.floor((limit * window - used) / window))
  let retryAfter = 0
  if (!allowed) {
    if (probe > limit) retryAfter = -1
    else if (curr + probe <= limit) {
      // Within this window, once the previous window's weight has decayed enough.
      retryAfter = Math.ceil((window * (prev - limit + curr + probe)) / prev) - elapsed
    } else {
      // At the next window this one becomes the previous; then wait for its weight to decay.
      const later = curr > 0 ? Math.ceil((window * (curr - limit + probe)) / curr) : 0
      retryAfter = window - elapsed + Math.max(0, later)
    }
  }
  if (allowed && cost > 0) {
    state.a = cur
    state.b = curr
    state.c = prev
    state.expiresAt = cur + 2 * window
  }
  return { allowed, remaining, reset: cur + window - now, retryAfter, limit, window }
}

/** State: a = tokens × window, b = time of the last write. */
function tokenBucket(state: State, now: number, limit: number, window: number, cost: number): Decision {
  const capacity = limit * window
  let tokens = capacity
  if (state.expiresAt !== 0) {
    const elapsed = now > state.b ? now - state.b : 0
    tokens = Math.min(capacity, state.a + elapsed * limit)
  }
  const probe = cost > 0 ? cost : 1
  const allowed = tokens >= probe * window
  if (allowed && cost > 0) tokens -= cost * window
  const reset = Math.ceil((capacity - tokens) / limit)
  if (allowed && cost > 0) {
    state.a = tokens
    state.b = now
    state.expiresAt = now + reset
  }
  return {
    allowed,
    remaining: Math.floor(tokens / window),
    reset,
    retryAfter: allowed ? 0 : probe > limit ? -1 : Math.ceil((probe * window - tokens) / limit),
    limit,
    window,
  }
}
