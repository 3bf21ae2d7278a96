/**
 * HTTP/1.1 requests written byte for byte on a socket: header names node's
 * client would refuse or an object literal would swallow (`__proto__`),
 * repeated Host lines, and so on.
 * @module
 */
import net from 'node:net'

export interface RawReply {
  status: number
  /** Header lines as sent, lower-case names. */
  headers: [string, string][]
  body: string
}

/** Sends `head` (lines without the final blank line) to `base` and reads one response (connection: close). */
export function rawRequest(base: string, lines: string[]): Promise<RawReply> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname)
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      if (split === -1) {
        reject(new Error(`no response: ${JSON.stringify(text)}`))
        return
      }
      const [statusLine, ...rest] = text.slice(0, split).split('\r\n')
      const headers = rest.map((l): [string, string] => {
        const c = l.indexOf(':')
        return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()]
      })
      let body = text.slice(split + 4)
      if (headers.some(([n, v]) => n === 'transfer-encoding' && v === 'chunked')) body = unchunk(body)
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body })
    })
    // Not end(): a client that half-closes may be taken for one that left.
    socket.write(`${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`)
  })
}

function unchunk(s: string): string {
  let out = ''
  let i = 0
  for (;;) {
    const eol = s.indexOf('\r\n', i)
    if (eol === -1) return out
    const size = Number.parseInt(s.slice(i, eol), 16)
    if (!(size > 0)) return out
    out += s.slice(eol + 2, eol + 2 + size)
    i = eol + 2 + size + 2
  }
}

/** The value of header `name` in a raw reply (first line), or undefined. */
export function rawHeader(reply: RawReply, name: string): string | undefined {
  return reply.headers.find(([n]) => n === name)?.[1]
}
