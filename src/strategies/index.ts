export { type CachedMethod, type CachedOptions, cached } from './cached-decorator.js'
export { type Memoized, type MemoizeOptions, memoize } from './memoize.js'
export { argsKey } from './stable-key.js'
