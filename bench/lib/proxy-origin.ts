/** The origin of bench/proxy.ts: fixed 2 KB and 100 KB bodies, cacheable for an hour; any other path gets 2 KB. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const small = Buffer.alloc(2 * 1024, 'a')
const large = Buffer.alloc(100 * 1024, 'b')
const server = http.createServer((req, res) => {
  const body = req.url === '/100k' ? large : small
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'public, max-age=3600',
  })
  res.end(body)
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`)
})
