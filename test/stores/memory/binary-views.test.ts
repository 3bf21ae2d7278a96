import { describe, expect, it } from 'vitest'
import { estimateSize, memoryStore } from '../../../src/index.js'
import { attach, env } from './helpers.js'

const INF = Number.POSITIVE_INFINITY
const MiB = 1024 * 1024

describe('memoryStore: binary views weigh what they retain (issue 19, finding 7)', () => {
  it('weighs a 10 KiB slice of a 256 KiB Buffer as the 256 KiB it keeps alive', () => {
    const big = Buffer.alloc(256 * 1024)
    const slice = big.subarray(0, 10 * 1024)
    expect(estimateSize(slice)).toBeGreaterThanOrEqual(256 * 1024)
    // A copy of the slice weighs the slice.
    const copy = Buffer.from(slice)
    expect(estimateSize(copy)).toBeLessThan(11 * 1024)
    // Two views of one buffer in a value count it once.
    expect(estimateSize([slice, big.subarray(100, 200)])).toBeLessThan(257 * 1024)
  })

  it('weighs a small pooled Buffer by its own length, not the shared 8 KiB pool', () => {
    const small = Buffer.from('hello world')
    expect(small.buffer.byteLength).toBeGreaterThan(small.byteLength)
    expect(estimateSize(small)).toBeLessThan(100)
  })

  it('holds no more backing memory than maxBytes when caching slices of large buffers', () => {
    const store = memoryStore({ maxEntries: 10_000, maxBytes: '5mb' })
    attach(store)
    const held = new Set<ArrayBufferLike>()
    for (let i = 0; i < 200; i++) {
      const big = Buffer.alloc(256 * 1024, i)
      store.set(`slice:${i}`, env(big.subarray(0, 10 * 1024)), INF)
    }
    for (const key of store.keys()) held.add((store.peek(key)!.value as Buffer).buffer)
    let retained = 0
    for (const b of held) retained += b.byteLength
    // Old code: 200 slices weighed 10 KiB each fit "2 MB" and kept 50 MiB alive.
    expect(retained).toBeLessThanOrEqual(5 * MiB)
    expect(store.bytes).toBeGreaterThanOrEqual(retained)
  })
})
