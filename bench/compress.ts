/**
 * Question: what does a shared tier's `compress` option save and cost? For
 * serialized JSON values of 1 KB to 1 MB (a catalogue page, as APIs cache),
 * how many bytes does each codec store, and how long does it take to compress
 * a value on write and inflate it on read, next to storing it as it is?
 *
 * Contenders run interleaved round by round on the same value: Brotli at the
 * default quality 4 and at 1 and 6, gzip at the default level 6 and at 1.
 * Times are per operation (µs); "saved" is the share of bytes not stored.
 */
import { defaultSerializer } from '../src/index.js'
import { compressor, inflate } from '../src/stores/compress.js'
import { compare, machineLine } from './lib/harness.js'

const page = (n: number) => ({
  items: Array.from({ length: n }, (_, i) => ({
    id: i,
    sku: `SKU-${String(i).padStart(6, '0')}`,
    title: `Product number ${i} in the catalogue`,
    price: { amount: 1000 + i, currency: 'EUR' },
    tags: ['new', 'featured', i % 2 === 0 ? 'even' : 'odd'],
  })),
})

const codecs: [string, ReturnType<typeof compressor>][] = [
  ['brotli 4 (default)', compressor({ threshold: 0 })],
  ['brotli 1', compressor({ threshold: 0, level: 1 })],
  ['brotli 6', compressor({ threshold: 0, level: 6 })],
  ['gzip 6', compressor({ threshold: 0, algorithm: 'gzip' })],
  ['gzip 1', compressor({ threshold: 0, algorithm: 'gzip', level: 1 })],
]

console.log(`${machineLine()}\n`)
console.log('| value | codec | stored bytes | saved | compress µs/op | inflate µs/op |')
console.log('|---|---|---|---|---|---|')
for (const items of [6, 100, 1_600, 6_400]) {
  const bytes = defaultSerializer.serialize(page(items))
  const size = bytes.byteLength
  const label = size < 1024 * 1024 ? `${Math.round(size / 1024)} KB` : `${(size / 1024 / 1024).toFixed(1)} MB`
  const ops = Math.max(20, Math.floor(4_000_000 / size))
  const options = { ops, rounds: 5, warmup: Math.max(5, ops >> 2) }
  const packed = codecs.map(([, c]) => c(bytes))
  const writes = await compare(
    codecs.map(([name, c]) => [name, () => c(bytes)] as [string, () => unknown]),
    options,
  )
  const reads = await compare(
    codecs.map(([name], i) => [name, () => inflate(packed[i]!)] as [string, () => unknown]),
    options,
  )
  console.log(`| ${label} | none | ${size} | 0 % | 0 | 0 |`)
  codecs.forEach(([name], i) => {
    const stored = packed[i]!.byteLength
    const us = (r: { opsPerSec: number }) => (1e6 / r.opsPerSec).toFixed(1)
    console.log(
      `| ${label} | ${name} | ${stored} | ${Math.round((1 - stored / size) * 100)} % | ${us(writes[i]!)} | ${us(reads[i]!)} |`,
    )
  })
}
