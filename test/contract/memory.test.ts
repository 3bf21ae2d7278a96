import { memoryStore } from '../../src/index.js'
import { storeContract } from './store-contract.js'

// Memory instances share nothing, so the cross-instance tests do not apply.
storeContract('memory', { make: () => memoryStore({ maxEntries: 5_000 }), shared: false })
