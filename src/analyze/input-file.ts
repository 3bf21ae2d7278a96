/**
 * What `cachestack analyze` and `cachestack simulate` read, told apart by
 * content: a recording (JSON saved from `recorder.snapshot()`), an nginx or
 * Apache access log in the combined format, or a plain key trace with one key
 * per line.
 * @module
 */
import { readFileSync } from 'node:fs'
import { CacheError } from '../core/errors.js'
import { isAccessLogLine, readAccessLog } from './access-log.js'
import { keyIds } from './belady.js'
import { parseRecording, type Recording, traceIds } from './recording.js'

/** A file read for the analyzer. */
export interface AnalyzerInput {
  kind: 'recording' | 'access log' | 'key trace'
  /** The recording (none for a plain key trace, which has no timings). */
  recording: Recording | undefined
  /** The key trace as dense ids, for the simulator. */
  trace: { ids: Int32Array; distinct: number; sampleRate: number }
}

/**
 * Reads `text` (the content of `source`) as a recording, an access log or a key trace.
 * @throws CacheError `ERR_CACHE_ANALYZE_INPUT` when it is none of them
 */
export function parseInput(text: string, source: string): AnalyzerInput {
  const start = text.trimStart()
  if (start === '') throw new CacheError('ERR_CACHE_ANALYZE_INPUT', `${source} is empty.`)
  if (start.startsWith('{')) {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      throw new CacheError('ERR_CACHE_ANALYZE_INPUT', `${source} is not valid JSON: ${(error as Error).message}.`)
    }
    const recording = parseRecording(data, source)
    return { kind: 'recording', recording, trace: { ...traceIds(recording.trace), sampleRate: recording.sampleRate } }
  }
  const lines = text.split(/\r?\n/)
  const first = lines.find((l) => l.trim() !== '')!
  if (isAccessLogLine(first)) {
    const recording = readAccessLog(lines, { source })
    return { kind: 'access log', recording, trace: { ...traceIds(recording.trace), sampleRate: 1 } }
  }
  const keys = lines.filter((l) => l !== '')
  return { kind: 'key trace', recording: undefined, trace: { ...keyIds(keys), sampleRate: 1 } }
}

/**
 * Reads a file for the analyzer (see {@link parseInput}).
 * @throws CacheError `ERR_CACHE_ANALYZE_INPUT` when it cannot be read or is in no known format
 */
export function readInput(path: string): AnalyzerInput {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new CacheError('ERR_CACHE_ANALYZE_INPUT', `Cannot read ${path}: ${(error as Error).message}.`, {
      cause: error,
    })
  }
  return parseInput(text, path)
}
