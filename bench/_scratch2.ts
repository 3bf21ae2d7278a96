import { FrequencySketch, hashKey } from '../src/stores/memory/index.js'
const N = 10_000
const sk = new FrequencySketch(N)
const hashes = Int32Array.from({ length: N }, (_, i) => hashKey(`key:${i}`))
for (let round = 0; round < 5; round++) {
  let t0 = process.hrtime.bigint()
  for (let i = 0; i < 10_000_000; i++) sk.increment(hashes[i % N]!)
  let ns = Number(process.hrtime.bigint() - t0) / 1e7
  t0 = process.hrtime.bigint()
  let f = 0
  for (let i = 0; i < 10_000_000; i++) f += sk.frequency(hashes[i % N]!)
  const ns2 = Number(process.hrtime.bigint() - t0) / 1e7
  console.log(`increment ${ns.toFixed(1)} ns, frequency ${ns2.toFixed(1)} ns`, f > 0)
}
