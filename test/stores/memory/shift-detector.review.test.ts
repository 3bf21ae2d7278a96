import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../../src/index.js'
import { access, attach, held, traffic } from './helpers.js'

describe('memoryStore (tinylfu): the shift detector does not misfire', () => {
  it('a burst of new keys each written then read once (create, then view) does not retire the hot set', () => {
    const s = memoryStore({ maxEntries: 1000 })
    attach(s)
    const key = traffic(2)
    for (let i = 0; i < 50_000; i++) access(s, key('a'))
    const before = held(s, 'a:')
    // Each new key is a miss, then a hit in the window: never read again, as a scan's keys.
    for (let i = 0; i < 1_500; i++) {
      access(s, `new:${i}`)
      access(s, `new:${i}`)
    }
    expect(held(s, 'a:')).toBeGreaterThanOrEqual(before - 5)
  })
})
