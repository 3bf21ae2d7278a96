export { MemoryStore, type MemoryStoreOptions, memoryStore } from './memory-store.js'
export { estimateSize } from './size.js'
