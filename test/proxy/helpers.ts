import { type ChildProcess, spawn } from 'node:child_process'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createCache, type ManualClock, manualClock, memoryStore } from '../../src/index.js'
import { createProxy, type ProxyOptions, type ProxyServer } from '../../src/proxy.js'
import { listen, type Reply, request } from '../http/helpers.js'

export { type Reply, request }

export type OriginHandler = (req: IncomingMessage, res: ServerResponse, n: number) => void

export interface Rig {
  origin: string
  proxy: string
  server: ProxyServer
  clock: ManualClock
  /** Requests the origin received. */
  hits: () => number
  /** The headers of each request the origin received. */
  seen: IncomingMessage['headers'][]
  get: (path: string, headers?: Record<string, string>, method?: string) => Promise<Reply>
  close: () => Promise<void>
  stopOrigin: () => Promise<void>
}

/** An origin on port 0 answering with `handler`, and a proxy in front of it on a memory cache with a manual clock. */
export async function rig(handler: OriginHandler, options: Partial<ProxyOptions> = {}): Promise<Rig> {
  let n = 0
  const seen: IncomingMessage['headers'][] = []
  const originServer = http.createServer((req, res) => {
    n++
    seen.push(req.headers)
    handler(req, res, n)
  })
  const o = await listen(originServer)
  const clock = manualClock(Date.now())
  const cache = options.cache ?? createCache({ tiers: [memoryStore()], clock })
  const server = createProxy({ origin: o.base, cache, clock, ...options })
  const p = await listen(server)
  let originOpen = true
  return {
    origin: o.base,
    proxy: p.base,
    server,
    clock,
    hits: () => n,
    seen,
    get: (path, headers = {}, method = 'GET') => request(p.base, path, { method, headers }),
    stopOrigin: async () => {
      if (!originOpen) return
      originOpen = false
      await o.close()
    },
    close: async () => {
      await p.close()
      if (originOpen) await o.close()
      await cache.close().catch(() => {})
    },
  }
}

/** Parses the proxy's own Cache-Status member. */
export function status(reply: Reply): string {
  const v = reply.headers['cache-status']
  const s = Array.isArray(v) ? v.join(', ') : (v ?? '')
  const mine = s.split(',').find((m) => m.trim().startsWith('cachestack'))
  return (mine ?? '').trim()
}

const proxyCli = fileURLToPath(new URL('../../src/cli/proxy.ts', import.meta.url))

/** Starts `cachestack proxy` (the CLI, as users run it) in its own process; resolves once it listens. */
export function startProxyCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', proxyCli, 'proxy', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out)
      if (m !== null) resolve({ child, base: `http://127.0.0.1:${m[1]}` })
    })
    child.once('exit', (code) => reject(new Error(`cachestack proxy exited with ${code}: ${out}`)))
  })
}
