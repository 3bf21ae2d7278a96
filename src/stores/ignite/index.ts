export {
  type IgniteCache,
  type IgniteClient,
  IgniteConnection,
  type IgniteConnectionOptions,
} from './ignite-client.js'
export { IgniteStore, type IgniteStoreOptions, type IgniteTier, igniteStore } from './ignite-store.js'
