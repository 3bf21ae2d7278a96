/** Route caching on plain node:http: `npx tsx examples/http/node.ts`, then `curl -i localhost:3000/` twice. */
import http from 'node:http'
import { cacheHandler } from '../../src/http.js'
import { createCache, memoryStore } from '../../src/index.js'

const cache = createCache({ tiers: [memoryStore()] })

const server = http.createServer(
  cacheHandler(
    (req, res) => {
      setTimeout(() => {
        res.setHeader('content-type', 'text/html; charset=utf-8')
        res.end(`<h1>Rendered at ${new Date().toISOString()} for ${req.url}</h1>`)
      }, 200) // a slow render
    },
    { cache, ttl: '60s' },
  ),
)
const port = Number(process.env.PORT ?? 3000)
server.listen(port, () => console.log(`node:http on http://localhost:${port}/`))
