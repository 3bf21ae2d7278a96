import { describe, expect, it } from 'vitest'
import { TopKeys } from '../../src/dashboard/top-keys.js'

describe('TopKeys (the dashboard hottest/most-missed lists)', () => {
  it('keeps memory bounded under a long tail and still finds the hot keys', () => {
    const top = new TopKeys(10)
    for (let i = 0; i < 100_000; i++) {
      top.add(`tail:${i}`) // every key seen once
      if (i % 4 === 0) top.add('hot:a')
      if (i % 10 === 0) top.add('hot:b')
    }
    const all = top.top(1000)
    expect(all.length).toBeLessThanOrEqual(20)
    expect(all.slice(0, 2).map((k) => k.key)).toEqual(['hot:a', 'hot:b'])
  })

  it('counts exactly while under capacity, most first', () => {
    const top = new TopKeys(10)
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) top.add(k)
    expect(top.top(2)).toEqual([
      { key: 'a', count: 3 },
      { key: 'b', count: 2 },
    ])
  })
})
