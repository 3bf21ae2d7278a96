/**
 * What the README's snippets name but leave to the reader ("names such as
 * `pricingApi` or `renderSidebar` stand for your own code"), and the `cache`
 * the first snippet makes. A snippet imports from here only the names it uses
 * and does not define itself (see readme.test.ts).
 */

import { createCache, memoryStore } from 'cachestack'
import express from 'express'

export { createCache, memoryStore }

export const cache = createCache({ tiers: [memoryStore()], ttl: '5m', grace: '1h' })
export const app = express()
export const products = [{ id: 1, name: 'Lamp', price: 40 }]
export const product = products[0]!
export const pricingApi = { get: async (id: number) => ({ id, price: 40 }) }
export const renderSidebar = async (lang: string) => `<nav lang="${lang}">…</nav>`
export const render = () => '<h1>Products</h1>'
export const buildReport = async () => ({ rows: 3, at: new Date() })
export const slugify = (s: string) => s.toLowerCase().replace(/\W+/g, '-')
export const log = { debug: (_fields: object, _message: string) => {} }

interface User {
  id: number
  name: string
}
const users = new Map<number, User>([
  [1, { id: 1, name: 'Ann' }],
  [2, { id: 2, name: 'Bob' }],
  [3, { id: 3, name: 'Cy' }],
])
/** A database with the calls the strategies snippet makes. */
export const db = {
  users: {
    findMany: async (ids: number[]) => ids.flatMap((id) => users.get(id) ?? []),
    update: async (id: number, user: User) => {
      users.set(id, user)
    },
  },
  stock: { upsertMany: async (_batch: readonly unknown[]) => {} },
}
/** A node-postgres pool, as far as `cachedQuery` uses one. */
export const pool = {
  query: async (_text: string, values?: unknown[]) => ({ rows: [{ id: values?.[0], name: 'Lamp' }], rowCount: 1 }),
}
