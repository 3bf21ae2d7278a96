/**
 * What a replayed trace writes on a miss: one envelope that never goes stale
 * or expires, shared by every write, so that a replay measures the policy
 * (which keys it keeps) and nothing else. Used by the simulator and by the
 * hit-ratio benchmark.
 * @module
 */
import type { Envelope } from '../core/envelope.js'

/** The envelope every replayed write stores. */
export const REPLAY_ENVELOPE: Envelope = {
  value: 1,
  createdAt: 0,
  freshUntil: Number.POSITIVE_INFINITY,
  staleUntil: Number.POSITIVE_INFINITY,
  tags: undefined,
  tagVersions: undefined,
  loadTime: 0,
}

/** The expiry of a replayed write: never. */
export const REPLAY_NEVER = Number.POSITIVE_INFINITY
