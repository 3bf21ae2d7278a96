/**
 * Recording for Hono (and any runtime it runs on): a middleware that times
 * the rest of the chain, names the call by the route that answered
 * (`GET /products/:id`), and digests a clone of the response body in the
 * background, so the response is not held back.
 * @module
 */
import { invalidOption } from '../core/errors.js'
import { digestBytes, digestString } from './digest.js'
import type { Recorder } from './recorder.js'
import { isReadMethod, routeName } from './route-name.js'

/** The part of a Hono context the middleware reads. */
export interface HonoAnalyzeContextLike {
  req: {
    method: string
    url: string
    header(name: string): string | undefined
    routeIndex?: number
    matchedRoutes?: readonly { path: string; method: string }[]
  }
  res: Response
}

/**
 * Hono middleware that records each GET and HEAD request in `recorder`.
 *
 * @param recorder - from {@link createRecorder}
 * @example
 * ```ts
 * app.use('*', analyzeHono(recorder))
 * ```
 */
export function analyzeHono(
  recorder: Recorder,
  options: { hashBodies?: boolean } = {},
): (c: HonoAnalyzeContextLike, next: () => Promise<void>) => Promise<void> {
  if (recorder === null || typeof recorder?.record !== 'function')
    throw invalidOption('recorder', 'a Recorder', recorder)
  const hashBodies = options.hashBodies !== false
  return async function cachestackAnalyzeHono(c, next) {
    const method = c.req.method
    const url = new URL(c.req.url)
    const target = `${url.pathname}${url.search}`
    const key = `${method} ${target}`
    if (!isReadMethod(method) || !recorder.sampled(key)) return next()
    const start = performance.now()
    await next()
    const ms = performance.now() - start
    const routes = c.req.matchedRoutes
    // The route that answered is the last one run; middleware paths ('*', '/api/*') are not routes.
    const answered = routes?.[c.req.routeIndex ?? routes.length - 1]
    const name =
      answered !== undefined && answered.method !== 'ALL' ? `${method} ${answered.path}` : routeName(method, target)
    const res = c.res
    const personal =
      c.req.header('authorization') !== undefined ||
      c.req.header('cookie') !== undefined ||
      res.headers.has('set-cookie')
    const record = (hash: number | undefined) =>
      recorder.record({ kind: 'route', name, key, ms, hash, personal, error: res.status >= 500 })
    if (!hashBodies || res.body === null || res.bodyUsed) {
      record(hashBodies ? digestString(String(res.status)) : undefined)
      return
    }
    res
      .clone()
      .arrayBuffer()
      .then(
        (body) => record(digestString(String(res.status), digestBytes(new Uint8Array(body)))),
        () => record(undefined),
      )
  }
}
