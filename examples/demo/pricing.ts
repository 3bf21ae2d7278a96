/**
 * A slow external "pricing" API, started by the demo on its own port. It
 * stands in for a third-party service: every call takes `delay` ms and is
 * counted, and responses carry Cache-Control and an ETag as real APIs do
 * (a matching If-None-Match is answered 304, still after the delay).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface PricingService {
  url: string
  /** Calls served since start. */
  readonly calls: number
  /** How long each call takes, ms (the demo's "slow the pricing API" button raises it). */
  delay: number
  close(): Promise<void>
}

/** Starts the pricing service on a free port. */
export async function startPricing(delay = Number(process.env.PRICING_DELAY_MS ?? 40)): Promise<PricingService> {
  let calls = 0
  let current = delay
  const server: Server = createServer((req, res) => {
    calls++
    const id = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? 0)
    setTimeout(() => {
      const discount = (id % 5) * 5
      const etag = `"d${discount}"`
      const headers = { 'cache-control': 'max-age=10', etag }
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers)
        res.end()
        return
      }
      const body = JSON.stringify({
        id,
        discountPercent: discount,
        currency: 'EUR',
        quotedAt: new Date().toISOString(),
      })
      res.writeHead(200, { 'content-type': 'application/json', ...headers })
      res.end(body)
    }, current)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return calls
    },
    get delay() {
      return current
    },
    set delay(ms: number) {
      current = ms
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
