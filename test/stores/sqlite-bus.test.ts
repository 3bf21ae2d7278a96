import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { type Bus, type BusMessage, sqliteBus } from '../../src/sqlite.js'
import { lockFromAnotherProcess } from '../helpers/sqlite-lock.js'

const dir = mkdtempSync(join(tmpdir(), 'cs-sqlite-bus-'))
const _fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))
const buses: Bus[] = []
afterAll(async () => {
  for (const b of buses) await b.close()
  rmSync(dir, { recursive: true, force: true })
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A bus that records what it hears; `interval: '1h'` so that only `flush()` polls. */
function listener(path: string, options: { retain?: string } = {}) {
  const heard: BusMessage[] = []
  let resyncs = 0
  const bus = sqliteBus({ path, interval: '1h', ...options })
  buses.push(bus)
  bus.join({ message: (m) => heard.push(m), resync: () => resyncs++ })
  return { bus, heard, resyncs: () => resyncs }
}

describe('sqliteBus', () => {
  it('options are checked', () => {
    expect(() => sqliteBus({ path: ':memory:' })).toThrow(/"path"/)
    expect(() => sqliteBus({ path: join(dir, 'x.db'), table: 'no-dash' })).toThrow(/"table"/)
    expect(() => sqliteBus({ path: join(dir, 'x.db'), interval: 0 })).toThrow(/"interval"/)
  })

  it('delivers other connections’ changes, a few milliseconds of them in one row, never its own', async () => {
    const path = join(dir, 'deliver.db')
    const a = listener(path)
    const b = listener(path)
    await b.bus.publish({ keys: ['k1'] })
    await b.bus.publish({ keys: ['k2'], tags: ['t'] })
    await b.bus.flush!() // writes what it queued
    await b.bus.publish({ clears: ['ns:'] })
    await sleep(30) // written without a flush, a few milliseconds later
    await a.bus.flush!()
    await b.bus.flush!()
    expect(a.heard).toEqual([{ keys: ['k1', 'k2'], tags: ['t'] }, { clears: ['ns:'] }])
    expect(b.heard).toEqual([])
    expect(a.bus.stats()).toMatchObject({ received: 2, published: 0 })
    expect(b.bus.stats()).toMatchObject({ published: 2, received: 0 })
  })

  it('a connection that fell behind past `retain` resyncs instead of missing changes', async () => {
    const path = join(dir, 'behind.db')
    const slow = listener(path)
    const fast = listener(path, { retain: '20ms' })
    await fast.bus.publish({ keys: ['a'] })
    await fast.bus.flush!() // reads its own row
    await sleep(30)
    await fast.bus.publish({ keys: ['b'] })
    await fast.bus.flush!() // the first row is older than `retain` for it: deleted
    await slow.bus.flush!()
    expect(slow.resyncs()).toBe(1)
    expect(slow.heard).toEqual([])
    await fast.bus.publish({ keys: ['c'] })
    await fast.bus.flush!()
    await slow.bus.flush!()
    expect(slow.heard).toEqual([{ keys: ['c'] }])
    expect(slow.bus.stats().resyncs).toBe(1)
  })

  it('a send that fails while another process holds the write lock is kept and sent at the next poll', async () => {
    const path = join(dir, 'locked.db')
    const other = listener(path)
    const bus = sqliteBus({ path, interval: '1h', busyTimeout: '20ms' })
    buses.push(bus)
    bus.join({ message: () => {}, resync: () => {} })
    const holder = await lockFromAnotherProcess(path)
    await bus.publish({ keys: ['kept'] })
    await bus.flush!() // the write fails (reads still work)
    expect(bus.stats()).toMatchObject({ published: 0, errors: 1, pending: 1 })
    await bus.flush!() // within the back-off: not tried again (each try blocks up to busyTimeout)
    expect(bus.stats()).toMatchObject({ published: 0, errors: 1, pending: 1 })
    await new Promise<void>((resolve) => {
      holder.once('exit', () => resolve())
      holder.kill('SIGKILL')
    })
    await sleep(1000) // the back-off after one failure
    await bus.flush!()
    expect(bus.stats()).toMatchObject({ published: 1, pending: 0 })
    await other.bus.flush!()
    expect(other.heard).toEqual([{ keys: ['kept'] }])
  })
})
