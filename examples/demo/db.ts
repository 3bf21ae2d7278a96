/**
 * The demo's database: SQLite by default (a file seeded with 10,000 products
 * on first start), PostgreSQL when DATABASE_URL is set. Every query is
 * counted, so the load test can show how many the cache saved.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export interface Product {
  id: number
  name: string
  category: string
  price: number
  description: string
}

export interface Database {
  readonly kind: 'sqlite' | 'postgres'
  /** Queries issued since start. */
  readonly queries: number
  list(page: number, pageSize: number): Promise<Product[]>
  search(q: string, limit: number): Promise<Product[]>
  find(id: number): Promise<Product | undefined>
  categories(): Promise<{ category: string; count: number }[]>
  setPrice(id: number, price: number): Promise<void>
  addViews(counts: Map<number, number>): Promise<void>
  views(id: number): Promise<number>
  close(): Promise<void>
}

const CATEGORIES = ['books', 'garden', 'kitchen', 'music', 'outdoor', 'tools', 'toys', 'games', 'office', 'sports']
const WORDS = ['red', 'blue', 'small', 'large', 'classic', 'modern', 'eco', 'pro', 'mini', 'ultra', 'smart', 'vintage']

function seedRows(n: number): Product[] {
  const rows: Product[] = []
  for (let i = 1; i <= n; i++) {
    const w1 = WORDS[i % WORDS.length]!
    const w2 = WORDS[(i * 7) % WORDS.length]!
    const category = CATEGORIES[i % CATEGORIES.length]!
    rows.push({
      id: i,
      name: `${w1} ${w2} ${category} item ${i}`,
      category,
      price: Math.round((5 + ((i * 37) % 500) + (i % 100) / 100) * 100) / 100,
      description: `A ${w1}, ${w2} item from our ${category} range. Product number ${i}.`,
    })
  }
  return rows
}

/** Opens the database named by `DATABASE_URL`, or the embedded SQLite file under `dir`. */
export async function openDatabase(dir: string, url = process.env.DATABASE_URL): Promise<Database> {
  return url?.startsWith('postgres') ? openPostgres(url) : openSqlite(dir)
}

async function openSqlite(dir: string): Promise<Database> {
  const { default: Sqlite } = await import('better-sqlite3')
  mkdirSync(dir, { recursive: true })
  const db = new Sqlite(join(dir, 'catalog.db'))
  db.pragma('journal_mode = WAL')
  db.exec(`CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, name TEXT, category TEXT, price REAL, description TEXT);
           CREATE TABLE IF NOT EXISTS views (id INTEGER PRIMARY KEY, count INTEGER NOT NULL)`)
  const count = (db.prepare('SELECT count(*) AS n FROM products').get() as { n: number }).n
  if (count < 10_000) {
    const insert = db.prepare('INSERT OR REPLACE INTO products VALUES (@id, @name, @category, @price, @description)')
    db.transaction((rows: Product[]) => {
      for (const row of rows) insert.run(row)
    })(seedRows(10_000))
  }
  const stmts = {
    list: db.prepare('SELECT * FROM products ORDER BY id LIMIT ? OFFSET ?'),
    search: db.prepare(
      "SELECT * FROM products WHERE name LIKE '%' || ? || '%' OR description LIKE '%' || ? || '%' ORDER BY id LIMIT ?",
    ),
    find: db.prepare('SELECT * FROM products WHERE id = ?'),
    categories: db.prepare('SELECT category, count(*) AS count FROM products GROUP BY category ORDER BY category'),
    setPrice: db.prepare('UPDATE products SET price = ? WHERE id = ?'),
    addView: db.prepare(
      'INSERT INTO views (id, count) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET count = count + excluded.count',
    ),
    views: db.prepare('SELECT count FROM views WHERE id = ?'),
  }
  let queries = 0
  return {
    kind: 'sqlite',
    get queries() {
      return queries
    },
    async list(page, pageSize) {
      queries++
      return stmts.list.all(pageSize, (page - 1) * pageSize) as Product[]
    },
    async search(q, limit) {
      queries++
      return stmts.search.all(q, q, limit) as Product[]
    },
    async find(id) {
      queries++
      return stmts.find.get(id) as Product | undefined
    },
    async categories() {
      queries++
      return stmts.categories.all() as { category: string; count: number }[]
    },
    async setPrice(id, price) {
      queries++
      stmts.setPrice.run(price, id)
    },
    async addViews(counts) {
      queries++
      db.transaction(() => {
        for (const [id, n] of counts) stmts.addView.run(id, n)
      })()
    },
    async views(id) {
      queries++
      return (stmts.views.get(id) as { count: number } | undefined)?.count ?? 0
    },
    async close() {
      db.close()
    },
  }
}

async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  await pool.query(`CREATE TABLE IF NOT EXISTS demo_products (id INTEGER PRIMARY KEY, name TEXT, category TEXT, price DOUBLE PRECISION, description TEXT);
                    CREATE TABLE IF NOT EXISTS demo_views (id INTEGER PRIMARY KEY, count INTEGER NOT NULL)`)
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM demo_products')
  if ((rows[0] as { n: number }).n < 10_000) {
    const all = seedRows(10_000)
    for (let i = 0; i < all.length; i += 1000) {
      const chunk = all.slice(i, i + 1000)
      const values = chunk.map((_, j) => `($${j * 5 + 1}, $${j * 5 + 2}, $${j * 5 + 3}, $${j * 5 + 4}, $${j * 5 + 5})`)
      await pool.query(
        `INSERT INTO demo_products VALUES ${values.join(',')} ON CONFLICT (id) DO NOTHING`,
        chunk.flatMap((p) => [p.id, p.name, p.category, p.price, p.description]),
      )
    }
  }
  let queries = 0
  const q = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    queries++
    return (await pool.query(sql, params)).rows as T[]
  }
  return {
    kind: 'postgres',
    get queries() {
      return queries
    },
    list: (page, pageSize) =>
      q('SELECT * FROM demo_products ORDER BY id LIMIT $1 OFFSET $2', [pageSize, (page - 1) * pageSize]),
    search: (s, limit) =>
      q(
        "SELECT * FROM demo_products WHERE name ILIKE '%' || $1 || '%' OR description ILIKE '%' || $1 || '%' ORDER BY id LIMIT $2",
        [s, limit],
      ),
    find: async (id) => (await q<Product>('SELECT * FROM demo_products WHERE id = $1', [id]))[0],
    categories: () =>
      q('SELECT category, count(*)::int AS count FROM demo_products GROUP BY category ORDER BY category'),
    setPrice: async (id, price) => {
      await q('UPDATE demo_products SET price = $1 WHERE id = $2', [price, id])
    },
    addViews: async (counts) => {
      for (const [id, n] of counts) {
        await q(
          'INSERT INTO demo_views (id, count) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET count = demo_views.count + $2',
          [id, n],
        )
      }
    },
    views: async (id) =>
      (await q<{ count: number }>('SELECT count FROM demo_views WHERE id = $1', [id]))[0]?.count ?? 0,
    close: () => pool.end(),
  }
}
