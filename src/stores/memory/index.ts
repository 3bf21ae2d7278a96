export { FrequencySketch, hashKey } from './frequency-sketch.js'
export { type MemoryPolicy, MemoryStore, type MemoryStoreOptions, memoryStore } from './memory-store.js'
export { estimateSize } from './size.js'
