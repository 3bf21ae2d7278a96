/**
 * The key trace the simulator replays: the last `size` calls as (target,
 * key digest) pairs in two typed arrays used as a ring, exported as base64 so
 * a recording of 200,000 calls stays about 1.6 MB of JSON.
 * @module
 */
import type { RecordedTrace } from './recording.js'

/** @internal */
export class TraceRing {
  #targets: Uint16Array
  #keys: Uint32Array
  #length = 0
  #start = 0

  constructor(readonly size: number) {
    this.#targets = new Uint16Array(Math.min(size, 4096))
    this.#keys = new Uint32Array(Math.min(size, 4096))
  }

  /** Appends one call, dropping the oldest when full. */
  push(target: number, key: number): void {
    if (this.size === 0) return
    if (this.#length < this.size) {
      if (this.#length === this.#keys.length) this.#grow()
      this.#targets[this.#length] = target
      this.#keys[this.#length] = key
      this.#length++
      return
    }
    this.#targets[this.#start] = target
    this.#keys[this.#start] = key
    this.#start = (this.#start + 1) % this.size
  }

  clear(): void {
    this.#length = 0
    this.#start = 0
  }

  /** The trace in call order: `targets` names each target index; `data` is base64 of (uint16 target, uint32 key) little-endian pairs. */
  export(targets: string[]): RecordedTrace {
    const bytes = Buffer.alloc(this.#length * 6)
    for (let i = 0; i < this.#length; i++) {
      const j = (this.#start + i) % Math.max(1, this.#length)
      bytes.writeUInt16LE(this.#targets[j]!, i * 6)
      bytes.writeUInt32LE(this.#keys[j]!, i * 6 + 2)
    }
    return { targets, length: this.#length, data: bytes.toString('base64') }
  }

  #grow(): void {
    const n = Math.min(this.size, this.#keys.length * 2)
    const t = new Uint16Array(n)
    t.set(this.#targets)
    const k = new Uint32Array(n)
    k.set(this.#keys)
    this.#targets = t
    this.#keys = k
  }
}
