/**
 * The layer trail: which layers of the cache a request went through, what each
 * answered and how long the request took, sent as `Server-Timing` so the page
 * (through `performance.getEntriesByType('navigation')[0].serverTiming`) and
 * any `fetch` can show it. Built from the cache's own events (hit, miss, load,
 * stale), attributed to the request by AsyncLocalStorage: nothing here guesses.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { NextFunction, Request, Response } from 'express'
import type { Cache } from '../../src/index.js'

/** One step of a request's trail. */
export interface Step {
  /** The layer, as people call it: "route cache", "product record", "query cache"… */
  layer: string
  /** What it did: "hit in memory", "hit in sqlite", "miss", "loaded from the source in 12.3 ms", "stale served". */
  result: string
}

/** What a layer is, from the namespace and key of a cache event. */
export function layerOf(namespace: string, key: string): string {
  if (namespace === '' && key.startsWith('GET ')) return 'route cache'
  if (namespace === '' && key.startsWith('sidebar')) return 'fragment (sidebar)'
  if (namespace === '' && key.startsWith('stampede:')) return 'stampede button'
  switch (namespace) {
    case 'product':
      return 'product record (write-through)'
    case 'query':
      return 'query cache'
    case 'http':
      return 'pricing API (caching fetch)'
    case 'pricing':
      return 'discount (refresh-ahead)'
    case 'views':
      return 'view counter (write-behind)'
    default:
      return namespace === '' ? 'cache' : namespace
  }
}

/** The layers' names in the order a page meets them, for the side panel. */
export const LAYERS = [
  'route cache',
  'fragment (sidebar)',
  'product record (write-through)',
  'query cache',
  'discount (refresh-ahead)',
  'pricing API (caching fetch)',
] as const

/** A Server-Timing `desc` is a quoted string: no quotes, backslashes or controls in it. */
const desc = (s: string) => s.replace(/[^\x20-\x7e]|["\\]/g, ' ')

/** Hits and misses of one layer since the start. */
export interface LayerCounts {
  hits: number
  misses: number
}

/** The trail's middleware and the layers' counters. */
export interface Trail {
  /**
   * Express middleware: records the request's trail and sends it as
   * `Server-Timing: total;dur=…, s1;desc="route cache: hit in memory", …`.
   */
  middleware(req: Request, res: Response, next: NextFunction): void
  /** Hits and misses per layer (and per tier, as `tier memory`, `tier sqlite`) since the start. */
  layers(): Record<string, LayerCounts>
}

/** Listens to `cache` for the trail of each request and the layers' hit ratios. */
export function layerTrail(cache: Cache): Trail {
  const store = new AsyncLocalStorage<Step[]>()
  const counts = new Map<string, LayerCounts>()
  const count = (layer: string, hit: boolean) => {
    let c = counts.get(layer)
    if (c === undefined) counts.set(layer, (c = { hits: 0, misses: 0 }))
    if (hit) c.hits++
    else c.misses++
  }
  const tierName = (i: number) => cache.tiers[i]?.name ?? `tier ${i}`
  const push = (step: Step) => {
    const steps = store.getStore()
    if (steps !== undefined && steps.length < 30) steps.push(step)
  }
  cache.on('hit', (e) => {
    const layer = layerOf(e.namespace, e.key)
    count(layer, true)
    // A hit in tier i passed every tier above it.
    for (let i = 0; i < e.tier; i++) count(`tier ${tierName(i)}`, false)
    count(`tier ${tierName(e.tier)}`, true)
    push({ layer, result: `hit in ${tierName(e.tier)}` })
  })
  cache.on('miss', (e) => {
    const layer = layerOf(e.namespace, e.key)
    count(layer, false)
    for (let i = 0; i < cache.tiers.length; i++) count(`tier ${tierName(i)}`, false)
    push({ layer, result: 'miss' })
  })
  cache.on('load', (e) =>
    push({ layer: layerOf(e.namespace, e.key), result: `loaded from the source in ${e.duration.toFixed(1)} ms` }),
  )
  cache.on('stale', (e) => push({ layer: layerOf(e.namespace, e.key), result: `stale served (${e.reason})` }))
  const middleware = function trail(_req: Request, res: Response, next: NextFunction): void {
    const steps: Step[] = []
    const start = performance.now()
    const writeHead = res.writeHead
    res.writeHead = function withTiming(this: Response, ...args: Parameters<Response['writeHead']>) {
      // A response replayed by the route cache carries the Server-Timing of the request that stored it: drop it.
      // The route cache's header array is shared by every hit: filter a copy, never the array itself.
      const at = args.findIndex((a) => Array.isArray(a) || (typeof a === 'object' && a !== null))
      const head = args[at] as unknown
      if (Array.isArray(head)) {
        const kept: unknown[] = []
        for (let i = 0; i + 1 < head.length; i += 2) {
          if (String(head[i]).toLowerCase() !== 'server-timing') kept.push(head[i], head[i + 1])
        }
        ;(args as unknown[])[at] = kept
      } else if (head !== undefined) {
        const kept = Object.fromEntries(
          Object.entries(head as Record<string, unknown>).filter(([k]) => k.toLowerCase() !== 'server-timing'),
        )
        ;(args as unknown[])[at] = kept
      }
      if (!res.headersSent) {
        const entries = [`total;dur=${(performance.now() - start).toFixed(1)}`]
        for (const [i, s] of steps.entries()) entries.push(`s${i + 1};desc="${desc(`${s.layer}: ${s.result}`)}"`)
        res.setHeader('server-timing', entries.join(', '))
      }
      return writeHead.apply(this, args)
    } as Response['writeHead']
    store.run(steps, () => next())
  }
  return { middleware, layers: () => Object.fromEntries(counts) }
}
