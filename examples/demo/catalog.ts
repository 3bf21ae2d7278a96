/**
 * The catalog's queries, written once against a node-postgres-shaped `query`
 * function: the raw database (caching off) or the same database wrapped by
 * `cachedQuery` (caching on), where reads are cached and tagged by the tables
 * they read (`table:demo_products`) and the UPDATE below invalidates them.
 */
import type { Product } from './db.js'

/** Anything with node-postgres' `query`: the raw `Sql` or a `CachedQuery`. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>
}

export interface Catalog {
  list(page: number, pageSize: number): Promise<Product[]>
  search(q: string, limit: number): Promise<Product[]>
  find(id: number): Promise<Product | undefined>
  categories(): Promise<{ category: string; count: number }[]>
  setPrice(id: number, price: number): Promise<void>
  views(id: number): Promise<number>
  /** Sets view counts (absolute values: the write-behind queue holds the latest count per product). */
  saveViews(counts: readonly { id: number; count: number }[]): Promise<void>
  /** Adds to view counts (the path with caching off: one write per view). */
  addView(id: number): Promise<void>
}

/** The catalog over `db`; `like` is `LIKE` for SQLite and `ILIKE` for PostgreSQL. */
export function catalog(db: Queryable, like: 'LIKE' | 'ILIKE'): Catalog {
  const rows = async <T>(sql: string, params: unknown[]) => (await db.query(sql, params)).rows as T[]
  const numeric = (p: Product) => ({ ...p, price: Number(p.price) })
  return {
    list: async (page, pageSize) =>
      (
        await rows<Product>('SELECT * FROM demo_products ORDER BY id LIMIT $1 OFFSET $2', [
          pageSize,
          (page - 1) * pageSize,
        ])
      ).map(numeric),
    search: async (q, limit) =>
      (
        await rows<Product>(
          `SELECT * FROM demo_products WHERE name ${like} '%' || $1 || '%' OR description ${like} '%' || $1 || '%' ORDER BY id LIMIT $2`,
          [q, limit],
        )
      ).map(numeric),
    find: async (id) => {
      const [p] = await rows<Product>('SELECT * FROM demo_products WHERE id = $1', [id])
      return p === undefined ? undefined : numeric(p)
    },
    categories: async () =>
      (
        await rows<{ category: string; count: number }>(
          'SELECT category, count(*) AS count FROM demo_products GROUP BY category ORDER BY category',
          [],
        )
      ).map((c) => ({ category: c.category, count: Number(c.count) })),
    setPrice: async (id, price) => {
      await db.query('UPDATE demo_products SET price = $1 WHERE id = $2', [price, id])
    },
    views: async (id) =>
      Number((await rows<{ count: number }>('SELECT count FROM demo_views WHERE id = $1', [id]))[0]?.count ?? 0),
    saveViews: async (counts) => {
      for (const { id, count } of counts) {
        await db.query(
          'INSERT INTO demo_views (id, count) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET count = excluded.count',
          [id, count],
        )
      }
    },
    addView: async (id) => {
      await db.query(
        'INSERT INTO demo_views (id, count) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET count = demo_views.count + 1',
        [id],
      )
    },
  }
}
