/**
 * `npm run demo:analyze`: the analyzer's worked example. Starts the demo with
 * caching OFF and recording on (what a team would do before adding a cache),
 * replays the demo's browsing mix (the one `demo:load` uses), saves the
 * recording, and prints the ranking and the simulator's curve for the
 * recorded keys, as `cachestack analyze` and `cachestack simulate` would.
 *
 * Options: `--requests <n>` (default 4000), `--out <file>` (default
 * demo-recording.json in the demo's data folder), `--svg <file>` for the curve.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  formatRanking,
  formatSimulation,
  hitRatioChart,
  rankCandidates,
  simulate,
  traceIds,
} from '../../src/analyze.js'
import { startDemo } from './app.js'
import { requestMix } from './load.js'

const { values } = parseArgs({
  options: { requests: { type: 'string' }, out: { type: 'string' }, svg: { type: 'string' } },
})
const n = Number(values.requests ?? 4000)
const dataDir = mkdtempSync(join(tmpdir(), 'cachestack-demo-analyze-'))
const demo = await startDemo({ port: 0, caching: false, analyze: true, dataDir })
try {
  const mix = requestMix(n)
  const started = performance.now()
  for (let i = 0; i < mix.length; i += 10) {
    await Promise.all(mix.slice(i, i + 10).map((p) => fetch(`${demo.url}${p}`).then((r) => r.arrayBuffer())))
  }
  const seconds = (performance.now() - started) / 1000
  const recording = demo.recorder!.snapshot()
  const out = values.out ?? join(dataDir, 'demo-recording.json')
  writeFileSync(out, JSON.stringify(recording))
  console.log(`Replayed ${n} requests of the demo's browsing mix in ${seconds.toFixed(1)} s with caching off.`)
  console.log(`Recording: ${out}  (cachestack analyze ${out})\n`)
  console.log(formatRanking(rankCandidates(recording), recording, 12))
  const { ids, distinct } = traceIds(recording.trace)
  const result = simulate(ids, distinct, { sampleRate: recording.sampleRate })
  console.log(`\nSimulated L1 sizes for the recorded keys (cachestack simulate ${out}):\n`)
  console.log(formatSimulation(result))
  if (values.svg !== undefined) {
    writeFileSync(values.svg, hitRatioChart(result, 'Demo: hit ratio by L1 size'))
    console.log(`\nchart: ${values.svg}`)
  }
} finally {
  await demo.close()
}
