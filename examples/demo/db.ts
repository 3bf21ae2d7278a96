/**
 * The demo's database: SQLite by default (a file seeded with 10,000 products
 * on first start), PostgreSQL when DATABASE_URL is set. Both are reached
 * through one `query(text, values)` function in node-postgres shape, so
 * `cachedQuery` from `cachestack/strategies` can wrap either, and every query
 * that reaches the database is counted: the load test shows how many the
 * cache saved.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Statement } from 'better-sqlite3'

export interface Product {
  id: number
  name: string
  category: string
  price: number
  description: string
}

/** A node-postgres-shaped query function: what `cachedQuery` wraps. */
export interface Sql {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>
}

export interface Database {
  readonly kind: 'sqlite' | 'postgres'
  /** Queries that reached the database since start. */
  readonly queries: number
  /** The demo's outage switch: while true, every query fails as if the server were gone. */
  down: boolean
  /** Runs SQL with `$1`-style parameters on either database; counted. */
  readonly sql: Sql
  /** `LIKE` (SQLite is case-insensitive for ASCII) or `ILIKE` (PostgreSQL). */
  readonly like: 'LIKE' | 'ILIKE'
  close(): Promise<void>
}

const CATEGORIES = ['books', 'garden', 'kitchen', 'music', 'outdoor', 'tools', 'toys', 'games', 'office', 'sports']
const WORDS = ['red', 'blue', 'small', 'large', 'classic', 'modern', 'eco', 'pro', 'mini', 'ultra', 'smart', 'vintage']
const SEED = 10_000

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

const SCHEMA = `CREATE TABLE IF NOT EXISTS demo_products (id INTEGER PRIMARY KEY, name TEXT, category TEXT, price DOUBLE PRECISION, description TEXT);
CREATE TABLE IF NOT EXISTS demo_views (id INTEGER PRIMARY KEY, count INTEGER NOT NULL)`

/** Opens the database named by `DATABASE_URL`, or the embedded SQLite file under `dir`. */
export async function openDatabase(dir: string, url = process.env.DATABASE_URL): Promise<Database> {
  return url?.startsWith('postgres') ? openPostgres(url) : openSqlite(dir)
}

async function openSqlite(dir: string): Promise<Database> {
  const { default: Sqlite } = await import('better-sqlite3')
  mkdirSync(dir, { recursive: true })
  const db = new Sqlite(join(dir, 'catalog.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.exec(SCHEMA)
  const count = (db.prepare('SELECT count(*) AS n FROM demo_products').get() as { n: number }).n
  if (count < SEED) {
    const insert = db.prepare(
      'INSERT OR REPLACE INTO demo_products VALUES (@id, @name, @category, @price, @description)',
    )
    db.transaction((rows: Product[]) => {
      for (const row of rows) insert.run(row)
    })(seedRows(SEED))
  }
  // `$1` means the first value to node-postgres but a named parameter to SQLite: bind it by name.
  const statements = new Map<string, Statement<unknown[]>>()
  let queries = 0
  let down = false
  return {
    get down() {
      return down
    },
    set down(value: boolean) {
      down = value
    },
    kind: 'sqlite',
    like: 'LIKE',
    get queries() {
      return queries
    },
    sql: {
      async query(text, values = []) {
        if (down) throw new Error("the database is down (the demo's outage switch)")
        queries++
        let stmt = statements.get(text)
        if (stmt === undefined) {
          stmt = db.prepare(text.replace(/\$(\d+)/g, '@p$1'))
          statements.set(text, stmt)
        }
        const named: Record<string, unknown> = {}
        values.forEach((v, i) => {
          named[`p${i + 1}`] = v
        })
        if (stmt.reader) {
          const rows = (values.length === 0 ? stmt.all() : stmt.all(named)) as unknown[]
          return { rows, rowCount: rows.length }
        }
        return { rows: [], rowCount: (values.length === 0 ? stmt.run() : stmt.run(named)).changes }
      },
    },
    async close() {
      db.close()
    },
  }
}

async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  await pool.query(SCHEMA)
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM demo_products')
  if ((rows[0] as { n: number }).n < SEED) {
    const all = seedRows(SEED)
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
  let down = false
  return {
    get down() {
      return down
    },
    set down(value: boolean) {
      down = value
    },
    kind: 'postgres',
    like: 'ILIKE',
    get queries() {
      return queries
    },
    sql: {
      async query(text, values = []) {
        if (down) throw new Error("the database is down (the demo's outage switch)")
        queries++
        const r = await pool.query(text, values)
        return { rows: r.rows as unknown[], rowCount: r.rowCount }
      },
    },
    close: () => pool.end(),
  }
}
