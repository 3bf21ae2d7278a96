/** Route caching in Fastify: `npx tsx examples/http/fastify.ts`, then `curl -i localhost:3000/products` twice. */
import Fastify from 'fastify'
import { fastifyCache } from '../../src/fastify.js'
import { createCache, memoryStore } from '../../src/index.js'

const cache = createCache({ tiers: [memoryStore()] })
const app = Fastify()
await app.register(fastifyCache, { cache, ttl: '60s' })

app.get('/products', { config: { cache: { tags: ['products'] } } }, async () => {
  await new Promise((r) => setTimeout(r, 200)) // a slow render
  return [{ id: 1, name: 'Teapot', price: 18 }]
})

const port = Number(process.env.PORT ?? 3000)
await app.listen({ port })
console.log(`Fastify on http://localhost:${port}/products`)
