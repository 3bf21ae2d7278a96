export { type HazelcastBusOptions, hazelcastBus } from './hazelcast-bus.js'
export { type HazelcastClient, HazelcastConnection, type HazelcastConnectionOptions } from './hazelcast-connection.js'
export { HazelcastStore, type HazelcastStoreOptions, type HazelcastTier, hazelcastStore } from './hazelcast-store.js'
