/** Real servers on port 0 for the session tests. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import session, { type Store } from 'express-session'

declare module 'express-session' {
  interface SessionData {
    user?: string
    visits?: number
  }
}

/** A running server and how to reach and stop it. */
export interface Running {
  url: string
  close(): Promise<void>
}

/** Listens on a free port. */
export function listen(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

/** An Express app with login, whoami and logout over the given session store. */
export function expressApp(store: Store, options: { maxAge?: number; rolling?: boolean } = {}): Promise<Running> {
  const app = express()
  app.use(
    session({
      store,
      secret: 'test-secret',
      resave: false,
      saveUninitialized: false,
      rolling: options.rolling ?? false,
      cookie: { maxAge: options.maxAge ?? 3_600_000 },
    }),
  )
  app.post('/login', (req, res) => {
    req.session.user = 'ada'
    res.send('ok')
  })
  app.post('/visit', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1
    res.json({ visits: req.session.visits })
  })
  app.get('/me', (req, res) => {
    res.json({ user: req.session.user ?? null })
  })
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.send('bye')))
  })
  return listen(createServer(app))
}

/** The `name=value` part of the first Set-Cookie header. */
export function cookieOf(res: Response): string {
  const set = res.headers.getSetCookie()
  if (set.length === 0) throw new Error('no Set-Cookie header')
  return set[0]!.split(';')[0]!
}

/** The session id inside an express-session / @fastify/session cookie (`s:<id>.<signature>`). */
export function sidOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  const unsigned = value.startsWith('s:') ? value.slice(2) : value
  return unsigned.slice(0, unsigned.lastIndexOf('.'))
}

/** GET /me with a cookie; the user name or null. */
export async function whoami(url: string, cookie: string): Promise<string | null> {
  const res = await fetch(`${url}/me`, { headers: { cookie } })
  return ((await res.json()) as { user: string | null }).user
}
