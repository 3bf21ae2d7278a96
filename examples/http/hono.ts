/** Route caching in Hono: `npx tsx examples/http/hono.ts`, then `curl -i localhost:3000/products` twice. */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { cached } from '../../src/hono.js'
import { createCache, memoryStore } from '../../src/index.js'

const cache = createCache({ tiers: [memoryStore()] })
const app = new Hono()

app.get('/products', cached({ cache, ttl: '60s', tags: ['products'] }), async (c) => {
  await new Promise((r) => setTimeout(r, 200)) // a slow render
  return c.json([{ id: 1, name: 'Teapot', price: 18 }])
})

const port = Number(process.env.PORT ?? 3000)
serve({ fetch: app.fetch, port }, () => console.log(`Hono on http://localhost:${port}/products`))
