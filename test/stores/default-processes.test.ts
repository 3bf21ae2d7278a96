/**
 * Workers of one app on the zero-config default (memory over a shared SQLite
 * file): two real processes, this one and a forked child, on one file.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, createCache } from '../../src/index.js'
import { CacheProcess } from '../tiers/processes.js'

const script = fileURLToPath(new URL('./fixtures/default-process.ts', import.meta.url))

describe('createCache() default: workers of one app see each other’s changes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cs-default-workers-'))
  let worker: CacheProcess
  let cache: Cache
  beforeAll(async () => {
    worker = new CacheProcess('worker', script)
    expect(await worker.call('init', dir)).toEqual(['memory', 'sqlite'])
    cache = createCache({ dir })
  }, 30_000)
  afterAll(async () => {
    await cache.close()
    await worker.call('close').catch(() => {})
    worker.child.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A read served by this process's memory tier (the copy another worker's change must reach). */
  const fromMemory = async (key: string) => {
    let tier: number | undefined
    const onHit = (e: { key: string; tier: number }) => {
      if (e.key === key) tier = e.tier
    }
    cache.on('hit', onHit)
    const value = await cache.get(key)
    cache.off('hit', onHit)
    return { value, tier }
  }

  it('a set, a delete and a root clear() in one worker reach the other worker’s memory tier', async () => {
    await cache.set('price', 100)
    await cache.set('user', 'ann')
    await cache.set('other', 'x')
    await cache.namespace('users').set('1', 'ada')
    expect(await fromMemory('price')).toEqual({ value: 100, tier: 0 })

    await worker.call('set', 'price', 200)
    await worker.call('delete', 'user')
    await expect.poll(() => cache.get('price'), { timeout: 5000 }).toBe(200)
    await expect.poll(() => cache.get('user'), { timeout: 5000 }).toBeUndefined()
    expect(await fromMemory('other')).toEqual({ value: 'x', tier: 0 })

    await worker.call('clear')
    await expect.poll(() => cache.get('other'), { timeout: 5000 }).toBeUndefined()
    await expect.poll(() => cache.namespace('users').get('1'), { timeout: 5000 }).toBeUndefined()
    expect(await cache.get('price')).toBeUndefined()
  })

  it('and this worker’s changes reach the other one', async () => {
    await worker.call('set', 'city', 'Paris')
    expect(await worker.call('get', 'city')).toBe('Paris')
    await cache.set('city', 'Lyon')
    await expect.poll(() => worker.call('get', 'city'), { timeout: 5000 }).toBe('Lyon')
    await cache.delete('city')
    await expect.poll(() => worker.call('get', 'city'), { timeout: 5000 }).toBeUndefined()
  })
})
