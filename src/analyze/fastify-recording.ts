/**
 * Recording for Fastify: a plugin that adds three hooks: `onRequest` starts
 * the clock, `onSend` digests the payload (strings and buffers; streams are
 * timed but not digested), `onResponse` records the call under the route's
 * pattern (`GET /products/:id`).
 * @module
 */
import { invalidOption } from '../core/errors.js'
import { DIGEST_START, digestBytes, digestString } from './digest.js'
import type { Recorder } from './recorder.js'
import { isReadMethod } from './route-name.js'

/** The parts of a Fastify request the plugin reads. */
export interface FastifyRequestLike {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  routeOptions?: { url?: string | undefined }
}

/** The parts of a Fastify reply the plugin reads. */
export interface FastifyReplyLike {
  statusCode: number
  getHeader(name: string): unknown
}

type Hook = (request: FastifyRequestLike, reply: FastifyReplyLike, ...rest: unknown[]) => unknown

/** The part of a Fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest' | 'onSend' | 'onResponse', hook: Hook): unknown
}

interface Pending {
  key: string
  start: number
  hash: number | undefined
}

/**
 * A Fastify plugin that records each GET and HEAD request in `recorder`.
 * Registered without encapsulation, so it sees every route of the instance.
 *
 * @param recorder - from {@link createRecorder}
 * @example
 * ```ts
 * await app.register(analyzeFastify(recorder))
 * ```
 */
export function analyzeFastify(
  recorder: Recorder,
  options: { hashBodies?: boolean } = {},
): (instance: FastifyInstanceLike, opts: unknown, done: (err?: Error) => void) => void {
  if (recorder === null || typeof recorder?.record !== 'function')
    throw invalidOption('recorder', 'a Recorder', recorder)
  const hashBodies = options.hashBodies !== false
  const pending = new WeakMap<object, Pending>()
  const plugin = function cachestackAnalyzeFastify(
    instance: FastifyInstanceLike,
    _opts: unknown,
    done: (err?: Error) => void,
  ): void {
    instance.addHook('onRequest', (request, _reply, next) => {
      const key = `${request.method} ${request.url}`
      if (isReadMethod(request.method) && recorder.sampled(key)) {
        pending.set(request, { key, start: performance.now(), hash: undefined })
      }
      ;(next as () => void)()
    })
    instance.addHook('onSend', (request, _reply, payload, next) => {
      const p = pending.get(request)
      if (p !== undefined && hashBodies) {
        if (typeof payload === 'string') p.hash = digestString(payload)
        else if (payload instanceof Uint8Array) p.hash = digestBytes(payload)
        else if (payload === null || payload === undefined) p.hash = DIGEST_START
      }
      ;(next as (err: null, payload: unknown) => void)(null, payload)
    })
    instance.addHook('onResponse', (request, reply, next) => {
      const p = pending.get(request)
      if (p !== undefined) {
        pending.delete(request)
        const pattern = request.routeOptions?.url
        recorder.record({
          kind: 'route',
          name: `${request.method} ${pattern ?? '(no route)'}`,
          key: p.key,
          ms: performance.now() - p.start,
          hash: p.hash === undefined ? undefined : digestString(String(reply.statusCode), p.hash),
          personal:
            request.headers.authorization !== undefined ||
            request.headers.cookie !== undefined ||
            reply.getHeader('set-cookie') !== undefined,
          error: reply.statusCode >= 500,
        })
      }
      ;(next as () => void)()
    })
    done()
  }
  ;(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true
  return plugin
}
