/**
 * What the dashboard shows, gathered from a cache's stats and events: the hit
 * ratio over time per namespace and per tier, loads and their latency, the
 * hottest and the most missed keys (sampled, bounded), evictions and tier
 * health. One tick per interval turns counters into a point of history.
 * @module
 */
import type { Cache } from '../core/cache.js'
import type { CacheEvents } from '../core/events.js'
import { ownValue } from '../core/own.js'
import type { CacheStats } from '../core/stats.js'
import type { StoreHealth } from '../core/store.js'
import { TopKeys } from './top-keys.js'

/** One point of the dashboard's history: what happened during one interval. */
export interface HistoryPoint {
  /** The end of the interval (ms since the epoch). */
  t: number
  /** Reads (hits + misses) during the interval. */
  reads: number
  /** The hit ratio over the interval, or `null` when nothing was read. */
  ratio: number | null
  /** The hit ratio per namespace (`''` is the root), `null` when it had no reads. */
  namespaces: Record<string, number | null>
  /** Per tier: hits it served / reads that reached it, `null` when none reached it. */
  tiers: Record<string, number | null>
  /** Hit ratios from counters outside this process (see `DashboardOptions.externalCounters`). */
  external: Record<string, number | null>
  /** Loads that finished during the interval. */
  loads: number
  /** Their mean and 95th-percentile duration in ms (`null` without loads). */
  loadMeanMs: number | null
  loadP95Ms: number | null
}

/** A tier as the dashboard shows it. */
export interface TierView {
  name: string
  hits: number
  errors: number
  entries?: number
  bytes?: number
  /** `bytes` is estimated from a sample (a memory tier that does not weigh its entries). */
  bytesEstimated?: boolean
  health?: StoreHealth
  evictions: Record<string, number>
}

/** Everything the page needs, sent as JSON and over SSE. */
export interface DashboardSnapshot {
  time: number
  stats: CacheStats
  tiers: TierView[]
  hotKeys: { key: string; count: number }[]
  missedKeys: { key: string; count: number }[]
  /** The history so far (empty in the per-tick SSE updates, which carry only the new point). */
  history: HistoryPoint[]
  /** Whether actions (lookup, delete, invalidate) are enabled; they need the token. */
  actions: boolean
  /** The share of each interval the key lists listen to hits and misses. */
  keySampleRate: number
}

/** @internal */
export interface MonitorOptions {
  external?: () => Promise<Record<string, { hits: number; misses: number }>>
  interval: number
  historySize: number
  keySampleRate: number
  topKeys: number
}

/** @internal */
export class Monitor {
  readonly #cache: Cache
  readonly #opts: MonitorOptions
  readonly #hot: TopKeys
  readonly #missed: TopKeys
  readonly history: HistoryPoint[] = []
  readonly #listeners = new Set<(point: HistoryPoint) => void>()
  readonly #evictions = new Map<string, Record<string, number>>()
  #loadDurations: number[] = []
  #loadCount = 0
  #prev: CacheStats
  #timer: ReturnType<typeof setInterval> | undefined
  #sizes = new Map<string, { entries: number; bytes: number; estimated: boolean }>()
  #sizing = false
  #external: Record<string, { hits: number; misses: number }> = {}
  #externalRatios: Record<string, number | null> = {}
  #externalBusy = false
  readonly #stop: () => void
  readonly #sampleWindow: () => void
  #windowTimer: ReturnType<typeof setTimeout> | undefined

  constructor(cache: Cache, opts: MonitorOptions) {
    this.#cache = cache
    this.#opts = opts
    this.#hot = new TopKeys(opts.topKeys)
    this.#missed = new TopKeys(opts.topKeys)
    this.#prev = cache.stats()
    const rate = opts.keySampleRate
    const name = (e: { key: string; namespace: string }) => (e.namespace === '' ? e.key : `${e.namespace}:${e.key}`)
    const onHit = (e: CacheEvents['hit']) => this.#hot.add(name(e))
    const onMiss = (e: CacheEvents['miss']) => this.#missed.add(name(e))
    const onLoad = (e: CacheEvents['load']) => {
      this.#loadCount++
      if (this.#loadDurations.length < 2048) this.#loadDurations.push(e.duration)
    }
    const onEvict = (e: CacheEvents['evict']) => {
      const byReason = this.#evictions.get(e.tier) ?? {}
      byReason[e.reason] = (byReason[e.reason] ?? 0) + 1
      this.#evictions.set(e.tier, byReason)
    }
    // Sampling is a duty cycle, not a coin per event: listening at all makes every hit
    // build an event, so the lists listen for `rate` of each interval and not otherwise.
    let listening = false
    const listen = (on: boolean) => {
      if (on === listening) return
      listening = on
      if (on) cache.on('hit', onHit).on('miss', onMiss)
      else cache.off('hit', onHit).off('miss', onMiss)
    }
    this.#sampleWindow = () => {
      if (rate <= 0) return
      listen(true)
      if (rate >= 1) return
      clearTimeout(this.#windowTimer)
      this.#windowTimer = setTimeout(() => listen(false), opts.interval * rate)
      this.#windowTimer.unref?.()
    }
    this.#sampleWindow()
    cache.on('load', onLoad).on('evict', onEvict)
    this.#stop = () => cache.off('hit', onHit).off('miss', onMiss).off('load', onLoad).off('evict', onEvict)
    this.#timer = setInterval(() => this.tick(), opts.interval)
    this.#timer.unref?.()
    void this.#refreshSizes()
    void this.#refreshExternal()
  }

  /** Calls `fn` with each new point; returns the unsubscribe function. */
  subscribe(fn: (point: HistoryPoint) => void): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  /** Closes the interval: turns the counters since the last tick into a history point. */
  tick(): HistoryPoint {
    const stats = this.#cache.stats()
    const prev = this.#prev
    this.#prev = stats
    const dh = stats.hits - prev.hits
    const dm = stats.misses - prev.misses
    const namespaces = Object.create(null) as Record<string, number | null>
    for (const [ns, c] of Object.entries(stats.namespaces)) {
      const p = ownValue(prev.namespaces, ns)
      const h = c.hits - (p?.hits ?? 0)
      const m = c.misses - (p?.misses ?? 0)
      namespaces[ns] = h + m === 0 ? null : h / (h + m)
    }
    const tiers: Record<string, number | null> = {}
    let reaching = dh + dm
    this.#cache.tiers.forEach((tier, i) => {
      const served = (stats.tierHits[i] ?? 0) - (prev.tierHits[i] ?? 0)
      tiers[tier.name] = reaching <= 0 ? null : served / reaching
      reaching -= served
    })
    const durations = this.#loadDurations.sort((a, b) => a - b)
    const point: HistoryPoint = {
      t: Date.now(),
      reads: dh + dm,
      ratio: dh + dm === 0 ? null : dh / (dh + dm),
      namespaces,
      tiers,
      external: this.#externalRatios,
      loads: this.#loadCount,
      loadMeanMs: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length,
      loadP95Ms:
        durations.length === 0 ? null : durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.95))]!,
    }
    this.#loadDurations = []
    this.#loadCount = 0
    this.history.push(point)
    if (this.history.length > this.#opts.historySize) this.history.shift()
    void this.#refreshSizes()
    void this.#refreshExternal()
    this.#sampleWindow()
    for (const fn of this.#listeners) fn(point)
    return point
  }

  /** The whole state, for the page's first paint and the JSON endpoint. */
  snapshot(actions: boolean, withHistory = true): DashboardSnapshot {
    const stats = this.#cache.stats()
    const tiers: TierView[] = this.#cache.tiers.map((tier, i) => {
      const view: TierView = {
        name: tier.name,
        hits: stats.tierHits[i] ?? 0,
        errors: stats.tierErrors[tier.name] ?? 0,
        evictions: { ...this.#evictions.get(tier.name) },
      }
      const size = this.#sizes.get(tier.name)
      if (size !== undefined) {
        view.entries = size.entries
        view.bytes = size.bytes
        if (size.estimated) view.bytesEstimated = true
      }
      const health = stats.tierHealth[tier.name]
      if (health !== undefined) view.health = health
      return view
    })
    return {
      time: Date.now(),
      stats,
      tiers,
      hotKeys: this.#hot.top(10),
      missedKeys: this.#missed.top(10),
      history: withHistory ? this.history : [],
      actions,
      keySampleRate: this.#opts.keySampleRate,
    }
  }

  close(): void {
    clearInterval(this.#timer)
    clearTimeout(this.#windowTimer)
    this.#stop()
    this.#listeners.clear()
  }

  /** External counters are read in the background; each tick charts the ratio over the last completed read. */
  async #refreshExternal(): Promise<void> {
    const read = this.#opts.external
    if (read === undefined || this.#externalBusy) return
    this.#externalBusy = true
    try {
      const now = await read()
      const ratios = Object.create(null) as Record<string, number | null>
      for (const [name, c] of Object.entries(now)) {
        const before = ownValue(this.#external, name)
        const h = before === undefined ? 0 : c.hits - before.hits
        const m = before === undefined ? 0 : c.misses - before.misses
        ratios[name] = h + m <= 0 ? null : h / (h + m)
      }
      this.#external = now
      this.#externalRatios = ratios
    } catch {
      this.#externalRatios = {}
    } finally {
      this.#externalBusy = false
    }
  }

  /** Tier sizes can be a network call (Redis): refreshed in the background, one at a time. */
  async #refreshSizes(): Promise<void> {
    if (this.#sizing) return
    this.#sizing = true
    try {
      for (const tier of this.#cache.tiers) {
        if (tier.size === undefined) continue
        try {
          const s = await tier.size()
          this.#sizes.set(tier.name, { entries: s.entries, bytes: s.bytes, estimated: s.estimated === true })
        } catch {
          this.#sizes.delete(tier.name)
        }
      }
    } finally {
      this.#sizing = false
    }
  }
}
