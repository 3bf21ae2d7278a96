/**
 * A caching fetch for an external API: `npx tsx examples/http/fetch.ts`. Starts a
 * small "weather API" that sends `max-age=5` and an ETag, then calls it through
 * `cachedFetch` and prints each answer's Cache-Status.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { cachedFetch } from '../../src/http.js'
import { createCache, memoryStore } from '../../src/index.js'

let calls = 0
const api = http.createServer((req, res) => {
  calls++
  if (req.headers['if-none-match'] === '"sunny"') {
    res.writeHead(304, { etag: '"sunny"', 'cache-control': 'max-age=5, stale-if-error=3600' }).end()
    return
  }
  res
    .writeHead(200, {
      etag: '"sunny"',
      'cache-control': 'max-age=5, stale-if-error=3600',
      'content-type': 'application/json',
    })
    .end('{"weather":"sunny"}')
})
await new Promise<void>((r) => api.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/weather?city=Lyon`

const fetchWeather = cachedFetch({ cache: createCache({ tiers: [memoryStore()] }) })
for (let i = 0; i < 3; i++) {
  const res = await fetchWeather(url)
  console.log(await res.text(), res.headers.get('cache-status'))
}
console.log(`the API was called ${calls} time(s)`)
api.close()
