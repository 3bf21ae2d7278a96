/**
 * Loaded before each README snippet runs (`node --import`): the snippet's
 * servers listen on a free loopback port and close once they listen, so the
 * script can end; `fetch` to an `*.example` host (the README's stand-in CMS) is
 * answered here, and no request leaves the machine.
 */
import net from 'node:net'

const listen = net.Server.prototype.listen as (this: net.Server, ...args: unknown[]) => net.Server
net.Server.prototype.listen = function listenOnce(this: net.Server, ...args: unknown[]) {
  const done = args.find((a) => typeof a === 'function') as (() => void) | undefined
  this.once('listening', () => {
    done?.()
    // After the framework's own listening callbacks (Fastify reads the address in its own).
    setTimeout(() => this.close(), 100)
  })
  return listen.call(this, 0, '127.0.0.1')
} as typeof net.Server.prototype.listen

const realFetch = globalThis.fetch
globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input))
  if (url.hostname.endsWith('.example')) {
    return new Response(`<h1>${url.pathname}</h1>`, { headers: { 'content-type': 'text/html', 'x-ttl-ms': '60000' } })
  }
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') throw new Error(`no network in tests: ${url}`)
  return realFetch(input, init)
}
