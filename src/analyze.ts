/**
 * cachestack/analyze: find out what to cache before caching it. Record what
 * an app does (middleware for node:http, Express, Fastify and Hono; wrappers
 * for pg, better-sqlite3 and any function), rank what is worth caching with a
 * suggested cache and TTL, and size the memory tier by replaying the recorded
 * keys against cachestack's own W-TinyLFU, LRU and Belady's OPT.
 *
 * @example
 * ```ts
 * import { analyze, createRecorder, formatRanking, rankCandidates, recordQueries } from 'cachestack/analyze'
 *
 * const recorder = createRecorder({ sampleRate: 0.25 })
 * app.use(analyze(recorder))
 * const db = recordQueries(new Database('app.db'), recorder)
 * // after some traffic:
 * const recording = recorder.snapshot()
 * console.log(formatRanking(rankCandidates(recording), recording))
 * writeFileSync('recording.json', JSON.stringify(recording)) // then: npx cachestack analyze recording.json
 * ```
 * @module
 */
export * from './analyze/index.js'
