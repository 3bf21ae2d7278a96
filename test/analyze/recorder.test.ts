/**
 * The recorder's bounds and sampling: memory stays bounded however many
 * targets and keys an app has, and sampling by key keeps each sampled key's
 * repetition and stability exact while totals are scaled.
 */
import { describe, expect, it } from 'vitest'
import { createRecorder, traceIds } from '../../src/analyze.js'
import { isCacheError } from '../../src/index.js'

describe('Recorder', () => {
  it('folds targets beyond maxTargets into (other), and forgets the oldest keys beyond maxKeys', () => {
    const r = createRecorder({ maxTargets: 2, maxKeys: 3 })
    for (let t = 0; t < 5; t++) r.record({ kind: 'route', name: `GET /r${t}`, key: `k${t}`, ms: 1, at: 1 })
    expect(r.snapshot().targets.map((t) => [t.name, t.calls])).toEqual([
      ['GET /r0', 1],
      ['GET /r1', 1],
      ['(other)', 3],
    ])
    const k = createRecorder({ maxKeys: 3 })
    const call = (key: string, at: number) => k.record({ kind: 'function', name: 'f', key, ms: 1, at })
    for (const [i, key] of ['a', 'b', 'c', 'd', 'a', 'd'].entries()) call(key, 1000 + i)
    const [t] = k.snapshot().targets
    // d pushed a out: a's second call is a new key; d's second call repeats.
    expect(t).toMatchObject({ calls: 6, keys: 5, repeats: { within1s: 1, within1m: 1, within1h: 1 } })
  })

  it('samples by key: a sampled key has every call; totals are scaled', () => {
    const r = createRecorder({ sampleRate: 0.25 })
    const sampled = Array.from({ length: 4000 }, (_, i) => `key${i}`).filter((k) => r.sampled(k))
    expect(sampled.length).toBeGreaterThan(800)
    expect(sampled.length).toBeLessThan(1200)
    for (let i = 0; i < 4000; i++) {
      for (let j = 0; j < 3; j++)
        r.record({ kind: 'function', name: 'f', key: `key${i}`, ms: 2, at: 10_000 + j, hash: 7 })
    }
    const [t] = r.snapshot().targets
    expect(t!.sampledCalls).toBe(3 * sampled.length)
    expect(t!.calls).toBe(Math.round((3 * sampled.length) / 0.25))
    expect(t!.repeats.within1s).toBe(2 * sampled.length)
    expect(t!.stability).toMatchObject({ compared: 2 * sampled.length, changed: 0 })
  })

  it('keeps the last traceSize calls as the trace, in order', () => {
    const r = createRecorder({ traceSize: 4 })
    for (const key of ['a', 'b', 'c', 'd', 'e', 'a']) r.record({ kind: 'function', name: 'f', key, ms: 1 })
    const { ids, distinct } = traceIds(r.snapshot().trace)
    expect([...ids]).toEqual([0, 1, 2, 3]) // c d e a: four distinct keys in order
    expect(distinct).toBe(4)
  })

  it('refuses bad options with ERR_CACHE_INVALID_OPTION naming them', () => {
    for (const options of [
      { sampleRate: 0 },
      { sampleRate: 2 },
      { maxKeys: 0 },
      { traceSize: -1 },
      { maxTargets: 1.5 },
    ]) {
      let error: unknown
      try {
        createRecorder(options)
      } catch (e) {
        error = e
      }
      expect(isCacheError(error, 'ERR_CACHE_INVALID_OPTION')).toBe(true)
      expect((error as Error).message).toContain(Object.keys(options)[0]!)
    }
  })
})
