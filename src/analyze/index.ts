export { type AccessLogEntry, type AccessLogOptions, parseAccessLogLine, readAccessLog } from './access-log.js'
export { beladyOpt, beladyOptIds, keyIds } from './belady.js'
export {
  analyzeFastify,
  type FastifyInstanceLike,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './fastify-recording.js'
export { analyzeHono, type HonoAnalyzeContextLike } from './hono-recording.js'
export { type AnalyzeOptions, analyze } from './http-recording.js'
export { type AnalyzerInput, parseInput, readInput } from './input-file.js'
export { type PgLike, queryName, recordFunction, recordQueries } from './query-recording.js'
export {
  type Candidate,
  type Concern,
  formatTtl,
  type RankOptions,
  rankCandidates,
  type Suggestion,
} from './ranking.js'
export { createRecorder, type Observation, Recorder, type RecorderOptions } from './recorder.js'
export {
  parseRecording,
  type RecordedTarget,
  type RecordedTrace,
  type Recording,
  type TargetKind,
  traceIds,
} from './recording.js'
export { formatRanking, formatSimulation } from './report.js'
export { routeName } from './route-name.js'
export {
  defaultSizes,
  type SimulatedPolicy,
  type SimulateOptions,
  type SimulationResult,
  simulate,
  summarize,
} from './simulator.js'
export { hitRatioChart, latencyRepetitionChart } from './svg-chart.js'
