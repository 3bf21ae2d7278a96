/**
 * {@link memoryStore}: the memory tier's factory, which picks the store class
 * for the `values` mode once, at construction.
 * @module
 */
import { invalidOption } from '../../core/errors.js'
import { MemoryStore, type MemoryStoreOptions } from './memory-store.js'
import { CloningMemoryStore, FreezingMemoryStore } from './value-modes.js'

/**
 * Creates the in-process memory tier, bounded by entries (10,000) and bytes
 * (256 MiB) unless told otherwise; bytes are always counted.
 * The default policy is W-TinyLFU; pass `policy: 'lru'` for plain LRU. Values
 * are shared references unless `values` says `'clone'` or `'freeze'`.
 *
 * @param options - see {@link MemoryStoreOptions}
 * @example
 * ```ts
 * const cache = createCache({ tiers: [memoryStore({ maxEntries: 50_000, maxBytes: '256mb' })] })
 * const recencyOnly = memoryStore({ maxEntries: 1_000, policy: 'lru' })
 * const isolated = memoryStore({ values: 'clone' }) // no reader sees another's mutation
 * ```
 */
export function memoryStore(options?: MemoryStoreOptions): MemoryStore {
  const values = options?.values ?? 'shared'
  // The modes are subclasses: the default store's hit path has no branch for them.
  if (values === 'shared') return new MemoryStore(options)
  if (values === 'clone') return new CloningMemoryStore(options)
  if (values === 'freeze') return new FreezingMemoryStore(options)
  throw invalidOption('values', "'shared', 'clone' or 'freeze'", values)
}
