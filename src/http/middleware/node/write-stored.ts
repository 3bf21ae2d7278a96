/**
 * Writing a stored response's head to node's `ServerResponse`.
 * @module
 */
import type { ServerResponse } from 'node:http'

/**
 * Writes a stored status and flat header list. With no header set on `res`
 * yet, node writes the list as it is, repeated fields included. Once outer
 * middleware has set one (Express's X-Powered-By, CORS), node merges a list
 * by `setHeader`, one pair at a time, which keeps only the last line of a
 * repeated field (two `Link` lines became one): then each name is set once
 * with all its values, replacing the outer middleware's value as a single
 * line would.
 * @internal shared by the node:http, Express and Fastify adapters
 */
export function writeStored(res: ServerResponse, status: number, head: readonly string[]): void {
  if (!hasRepeated(head) || res.getHeaderNames().length === 0) {
    res.writeHead(status, head as string[])
    return
  }
  const fields = new Map<string, string[]>()
  for (let i = 0; i < head.length; i += 2) {
    const list = fields.get(head[i]!)
    if (list === undefined) fields.set(head[i]!, [head[i + 1]!])
    else list.push(head[i + 1]!)
  }
  for (const [name, values] of fields) res.setHeader(name, values.length === 1 ? values[0]! : values)
  res.writeHead(status)
}

/** Per stored head (its names never change, only the Age and Cache-Status values): whether a name repeats. */
const REPEATED = new WeakMap<readonly string[], boolean>()

function hasRepeated(head: readonly string[]): boolean {
  let r = REPEATED.get(head)
  if (r === undefined) {
    const names = new Set<string>()
    r = false
    for (let i = 0; i < head.length; i += 2) {
      if (names.has(head[i]!)) {
        r = true
        break
      }
      names.add(head[i]!)
    }
    REPEATED.set(head, r)
  }
  return r
}
