/**
 * Route caching in Express: `npx tsx examples/http/express.ts`, then
 * `curl -i localhost:3000/products` twice (the second says `Cache-Status: cachestack; hit`).
 */
import express from 'express'
import { cacheControl, cached } from '../../src/express.js'
import { createCache, memoryStore } from '../../src/index.js'

const cache = createCache({ tiers: [memoryStore()] })
const app = express()
const products = [{ id: 1, name: 'Teapot', price: 18 }]

app.get(
  '/products',
  cacheControl({ public: true, maxAge: '1m', staleWhileRevalidate: '1d' }),
  cached({ cache, ttl: '60s', tags: ['products'], vary: ['accept-language'] }),
  async (_req, res) => {
    await new Promise((r) => setTimeout(r, 200)) // a slow render
    res.json(products)
  },
)
app.post('/products', express.json(), async (req, res) => {
  products.push(req.body)
  await cache.invalidateTags(['products'])
  res.status(201).end()
})

const port = Number(process.env.PORT ?? 3000)
app.listen(port, () => console.log(`Express on http://localhost:${port}/products`))
