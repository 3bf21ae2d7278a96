import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadPeer, tryLoadPeer } from '../../src/core/optional-peer.js'
import { createCache, memoryStore } from '../../src/index.js'
import { defaultFileName, defaultTiers, osCacheDir, resetDefaultTierWarning } from '../../src/stores/default-tiers.js'

const dir = mkdtempSync(join(tmpdir(), 'cs-default-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('createCache() without tiers: memory over a SQLite file', () => {
  it('puts the file in `dir`, one per application, and keeps entries and tag versions across restarts', async () => {
    const first = createCache({ dir })
    expect(first.tiers.map((t) => t.name)).toEqual(['memory', 'sqlite'])
    expect(existsSync(join(dir, defaultFileName()))).toBe(true)
    await first.set('user:1', { name: 'Ada' }, { tags: ['users'] })
    await first.set('user:2', { name: 'Bob' }, { tags: ['users'] })
    await first.close()
    const second = createCache({ dir })
    expect(await second.get('user:1')).toEqual({ name: 'Ada' })
    await second.invalidateTags(['users'])
    await second.close()
    const third = createCache({ dir })
    expect(await third.get('user:2')).toBeUndefined()
    await third.close()
  })

  it('uses CACHESTACK_DIR when `dir` is not given (the test setup points it at a temp dir)', async () => {
    const envDir = process.env.CACHESTACK_DIR!
    expect(envDir.startsWith(tmpdir())).toBe(true)
    const cache = createCache()
    await cache.set('k', 1)
    expect(existsSync(join(envDir, defaultFileName()))).toBe(true)
    await cache.close()
  })

  it('`dir: false` is memory only; `dir` with `tiers` is refused', () => {
    expect(createCache({ dir: false }).tiers.map((t) => t.name)).toEqual(['memory'])
    expect(() => createCache({ dir: '' })).toThrow(/"dir"/)
    expect(() => createCache({ dir, tiers: [memoryStore()] })).toThrow(/"dir"/)
  })

  it('a feature whose peer is missing throws ERR_CACHE_PEER_MISSING naming what to install', () => {
    expect(() => loadPeer('cachestack-no-such-peer', 'This feature')).toThrow(
      expect.objectContaining({
        code: 'ERR_CACHE_PEER_MISSING',
        message: expect.stringMatching(/npm install cachestack-no-such-peer/),
      }),
    )
    expect(tryLoadPeer('better-sqlite3')).toBeTypeOf('function')
  })

  it('without better-sqlite3: memory only, and one warning that says what to install', async () => {
    resetDefaultTierWarning()
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      expect(defaultTiers(undefined, () => undefined).map((t) => t.name)).toEqual(['memory'])
      expect(defaultTiers(undefined, () => undefined).map((t) => t.name)).toEqual(['memory'])
      await new Promise((r) => setImmediate(r))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.message).toMatch(/npm install better-sqlite3/)
      expect((warnings[0] as Error & { code?: string }).code).toBe('CACHESTACK_MEMORY_ONLY')
    } finally {
      process.off('warning', onWarning)
      resetDefaultTierWarning()
    }
  })

  it('the OS cache directory per platform', () => {
    expect(osCacheDir({}, 'linux')).toBe(join(homedir(), '.cache', 'cachestack'))
    expect(osCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux')).toBe('/xdg/cachestack')
    expect(osCacheDir({ XDG_CACHE_HOME: 'relative' }, 'linux')).toBe(join(homedir(), '.cache', 'cachestack'))
    expect(osCacheDir({}, 'darwin')).toBe(join(homedir(), 'Library', 'Caches', 'cachestack'))
    expect(osCacheDir({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32')).toContain('cachestack')
  })

  it('names the file after the app and its folder, so two apps never share one', () => {
    expect(defaultFileName('/srv/app-one')).toMatch(/^app-one-[0-9a-f]{8}\.db$/)
    expect(defaultFileName('/srv/app-one')).not.toBe(defaultFileName('/other/app-one'))
    expect(defaultFileName(process.cwd())).toMatch(/^cachestack-[0-9a-f]{8}\.db$/)
  })
})
