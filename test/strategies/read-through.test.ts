import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { CacheError, createCache, manualClock, memoryStore } from '../../src/index.js'
import { postgresTable } from '../helpers/postgres.js'

const deferred = <T>() => {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
const tick = () => new Promise((r) => setImmediate(r))
const newCache = () => createCache({ tiers: [memoryStore()] })

describe('read-through', () => {
  it('loads a miss once however many callers, then serves from the cache', async () => {
    const cache = newCache()
    let loads = 0
    const users = cache.namespace('users', {
      load: async (id: number) => {
        loads++
        await tick()
        return { id, name: `u${id}` }
      },
    })
    const all = await Promise.all([users.get(1), users.get(1), users.get(1)])
    expect(all).toEqual([
      { id: 1, name: 'u1' },
      { id: 1, name: 'u1' },
      { id: 1, name: 'u1' },
    ])
    expect(await users.get(1)).toEqual({ id: 1, name: 'u1' })
    expect(loads).toBe(1)
    expect(await cache.namespace('users').get('1')).toEqual({ id: 1, name: 'u1' })
  })

  it('getMany of 100 missing keys makes one loadMany call; hits are not reloaded', async () => {
    const cache = newCache()
    const calls: number[][] = []
    const users = cache.namespace('users', {
      loadMany: (ids: number[]) => {
        calls.push(ids)
        return ids.map((id) => ({ id }))
      },
    })
    await users.get(5)
    calls.length = 0
    const ids = Array.from({ length: 100 }, (_, i) => i)
    const values = await users.getMany(ids)
    expect(values).toEqual(ids.map((id) => ({ id })))
    expect(calls).toHaveLength(1)
    expect(calls[0]).toHaveLength(99)
    expect(calls[0]).not.toContain(5)
    expect(await users.getMany([1, 2, 3])).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    expect(calls).toHaveLength(1)
    expect(cache.stats().namespaces.users).toMatchObject({ loads: 100 })
  })

  it('accepts a Map from loadMany (missing ids load undefined) and splits by maxBatch', async () => {
    const cache = newCache()
    const calls: string[][] = []
    const items = cache.namespace('items', {
      loadMany: (ids: string[]) => {
        calls.push(ids)
        return new Map(ids.filter((id) => id !== 'x').map((id) => [id, id.toUpperCase()]))
      },
      maxBatch: 2,
    })
    expect(await items.getMany(['a', 'b', 'x', 'c'])).toEqual(['A', 'B', undefined, 'C'])
    expect(calls).toEqual([
      ['a', 'b'],
      ['x', 'c'],
    ])
  })

  it('batches concurrent get() calls of one tick into one loadMany call (DataLoader-style)', async () => {
    const cache = newCache()
    const calls: number[][] = []
    const users = cache.namespace('users', {
      loadMany: async (ids: number[]) => {
        calls.push(ids)
        return ids.map((id) => id * 10)
      },
    })
    expect(await Promise.all([users.get(1), users.get(2), users.get(3), users.get(1)])).toEqual([10, 20, 30, 10])
    expect(calls).toEqual([[1, 2, 3]])
  })

  it('a get during a batch load joins it rather than loading again', async () => {
    const cache = newCache()
    const gate = deferred<number[]>()
    let calls = 0
    const users = cache.namespace('users', {
      loadMany: async (ids: number[]) => {
        calls++
        await gate.promise
        return ids
      },
    })
    const many = users.getMany([1, 2])
    await tick()
    const one = users.get(2)
    gate.resolve([])
    expect(await many).toEqual([1, 2])
    expect(await one).toBe(2)
    expect(calls).toBe(1)
  })

  it('a write during a batch load wins: the batch does not overwrite it', async () => {
    const cache = newCache()
    const db = new Map<number, string>([
      [1, 'old1'],
      [2, 'old2'],
    ])
    const gate = deferred<void>()
    const users = cache.namespace('users', {
      loadMany: async (ids: number[]) => {
        const snapshot = ids.map((id) => db.get(id)!)
        await gate.promise
        return snapshot
      },
      save: (id: number, v: string) => void db.set(id, v),
    })
    const many = users.getMany([1, 2])
    await tick()
    await users.write(1, 'new1')
    const other = cache.namespace('users')
    await other.delete('2')
    gate.resolve()
    expect(await many).toEqual(['old1', 'old2'])
    expect(await users.get(1)).toBe('new1')
    expect(await other.get('2')).toBeUndefined()
    expect(await users.getMany([2])).toEqual(['old2'])
  })

  it('an invalidation during a batch load leaves its values stale', async () => {
    const cache = newCache()
    const gate = deferred<void>()
    let n = 0
    const users = cache.namespace('users', {
      loadMany: async (ids: number[]) => {
        const v = ++n
        await gate.promise
        return ids.map(() => v)
      },
      tags: ['users'],
    })
    const many = users.getMany([1])
    await tick()
    await cache.invalidateTags(['users'])
    gate.resolve()
    expect(await many).toEqual([1])
    expect(await users.get(1)).toBe(2)
  })

  it('a failing batch rejects its callers and stores nothing', async () => {
    const cache = newCache()
    let fail = true
    const users = cache.namespace('users', {
      loadMany: async (ids: number[]) => {
        if (fail) throw new Error('db down')
        return ids
      },
    })
    await expect(users.getMany([1, 2])).rejects.toThrow('db down')
    fail = false
    expect(await users.getMany([1, 2])).toEqual([1, 2])
    expect(cache.stats().namespaces.users).toMatchObject({ loadErrors: 2, loads: 2 })
  })

  it('rejects a batch answer of the wrong length with ERR_CACHE_LOADER', async () => {
    const cache = newCache()
    const users = cache.namespace('users', { loadMany: async (_ids: number[]) => [1] })
    const err = await users.getMany([1, 2]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CacheError)
    expect((err as CacheError).code).toBe('ERR_CACHE_LOADER')
    const direct = await cache.getOrSetMany(['a', 'b'], () => ['x']).catch((e: unknown) => e)
    expect((direct as CacheError).code).toBe('ERR_CACHE_LOADER')
  })

  it('honours ttl from the source options', async () => {
    const clock = manualClock()
    const cache = createCache({ tiers: [memoryStore()], clock })
    let n = 0
    const users = cache.namespace('users', { load: () => ++n, ttl: '1m' })
    expect(await users.get('a')).toBe(1)
    clock.advance('30s')
    expect(await users.get('a')).toBe(1)
    clock.advance('31s')
    expect(await users.get('a')).toBe(2)
  })

  it('refuses a source without load, loadMany or save', () => {
    const cache = newCache()
    expect(() => cache.namespace('x', {} as never)).toThrow(/load, loadMany or save/)
  })
})

describe('write-through', () => {
  it('writes the source first, then the cache; a failing save leaves the cache untouched', async () => {
    const cache = newCache()
    const db = new Map<string, string>()
    let failNext = false
    const users = cache.namespace('users', {
      load: (id: string) => db.get(id) ?? 'none',
      save: async (id: string, v: string) => {
        if (failNext) throw new Error('constraint violated')
        db.set(id, v)
      },
    })
    expect(await users.get('a')).toBe('none')
    await users.write('a', 'one')
    expect(db.get('a')).toBe('one')
    expect(await users.get('a')).toBe('one')
    failNext = true
    await expect(users.write('a', 'two')).rejects.toThrow('constraint violated')
    expect(await users.get('a')).toBe('one')
    expect(db.get('a')).toBe('one')
  })

  it('concurrent writes of one key end with the cache holding what the source holds', async () => {
    const cache = newCache()
    const db = new Map<string, number>()
    // Saves finish in reverse order of their start unless serialized.
    const users = cache.namespace('users', {
      load: (id: string) => db.get(id) ?? -1,
      save: async (id: string, v: number) => {
        await new Promise((r) => setTimeout(r, (20 - v) % 7))
        db.set(id, v)
      },
    })
    const writes = Array.from({ length: 20 }, (_, i) => users.write('k', i))
    await Promise.all(writes)
    expect(db.get('k')).toBe(19)
    expect(await cache.namespace('users').get('k')).toBe(19)
  })

  it('remove() deletes from the source, then the cache, ordered with writes', async () => {
    const cache = newCache()
    const db = new Map<string, number>()
    const users = cache.namespace('users', {
      load: (id: string) => db.get(id) ?? -1,
      save: (id: string, v: number) => void db.set(id, v),
      remove: (id: string) => void db.delete(id),
    })
    await Promise.all([users.write('k', 1), users.remove('k'), users.write('k', 2), users.remove('k')])
    expect(db.has('k')).toBe(false)
    expect(await users.get('k')).toBe(-1)
  })

  it('write() without save rejects with ERR_CACHE_INVALID_OPTION', async () => {
    const users = newCache().namespace('users', { load: (id: string) => id })
    await expect(users.write('a', 'b')).rejects.toMatchObject({ code: 'ERR_CACHE_INVALID_OPTION' })
  })
})

describe('write-through against real databases', () => {
  it('SQLite: concurrent writes and reads end consistent with the table', async () => {
    const db = new Database(':memory:')
    db.exec('create table users (id integer primary key, name text)')
    db.prepare('insert into users values (?, ?)').run(1, 'v0')
    const find = db.prepare<[number], { name: string }>('select name from users where id = ?')
    const update = db.prepare('update users set name = ? where id = ?')
    const cache = newCache()
    const users = cache.namespace('users', {
      load: async (id: number) => {
        await tick()
        return find.get(id)?.name
      },
      save: async (id: number, name: string | undefined) => {
        await tick()
        update.run(name, id)
      },
    })
    const ops: Promise<unknown>[] = []
    for (let i = 1; i <= 30; i++) {
      ops.push(users.write(1, `v${i}`))
      ops.push(users.get(1))
      if (i % 5 === 0) ops.push(users.invalidate(1))
    }
    await Promise.all(ops)
    expect(find.get(1)?.name).toBe('v30')
    expect(await users.get(1)).toBe('v30')
    db.close()
  })

  describe('PostgreSQL', () => {
    const pgdb = postgresTable(
      'cs_rt',
      (table) => [
        `create table ${table} (id int primary key, name text)`,
        `insert into ${table} values (1, 'v0'), (2, 'v0'), (3, 'v0')`,
      ],
      8,
    )
    const { table } = pgdb

    it('getMany loads with one query; concurrent writes leave cache = table', async (ctx) => {
      const db = pgdb.pool
      if (db === undefined) return ctx.skip()
      let queries = 0
      const cache = newCache()
      const users = cache.namespace('users', {
        loadMany: async (ids: number[]) => {
          queries++
          const { rows } = await db.query<{ id: number; name: string }>(
            `select id, name from ${table} where id = any($1)`,
            [ids],
          )
          return new Map(rows.map((r) => [r.id, r.name]))
        },
        save: (id: number, name: string) => db.query(`update ${table} set name = $2 where id = $1`, [id, name]),
      })
      expect(await users.getMany([1, 2, 3])).toEqual(['v0', 'v0', 'v0'])
      expect(queries).toBe(1)
      await users.invalidate(2)
      const ops: Promise<unknown>[] = []
      for (let i = 1; i <= 20; i++) {
        ops.push(users.write(2, `v${i}`))
        ops.push(users.get(2))
      }
      await Promise.all(ops)
      const { rows } = await db.query(`select name from ${table} where id = 2`)
      expect(rows[0].name).toBe('v20')
      expect(await users.get(2)).toBe('v20')
    })
  })
})
