/**
 * `@cached()`: a TypeScript 5 / ECMAScript standard decorator that memoizes a
 * class method. No `experimentalDecorators`.
 * @module
 */
import { invalidOption } from '../core/errors.js'
import { type Memoized, type MemoizeOptions, memoize } from './memoize.js'
import { argsKey } from './stable-key.js'

/** Options of {@link cached}: those of {@link memoize}, plus `scope`. */
export interface CachedOptions<A extends unknown[]> extends MemoizeOptions<A> {
  /**
   * `'instance'`: each object has its own results (the key includes an
   * in-process id of `this`). `'class'`: every instance shares results keyed by
   * the arguments only: the right choice for stateless services, and the only
   * one that makes sense in a cache shared between processes.
   * Ignored when `key` is given.
   * @defaultValue `'instance'`
   */
  scope?: 'instance' | 'class'
}

/** What a method decorated with {@link cached} carries, to forget results. */
export interface CachedMethod {
  /** Forgets every result of this method (every instance). */
  clear(): Promise<void>
}

let nextId = 0
const ids = new WeakMap<object, string>()

function idOf(self: unknown): string {
  if ((typeof self !== 'object' && typeof self !== 'function') || self === null) return '-'
  let id = ids.get(self)
  if (id === undefined) ids.set(self, (id = (++nextId).toString(36)))
  return id
}

/**
 * Memoizes a class method (standard decorator). Results are kept per instance
 * by default (`scope: 'class'` to share them), under the namespace
 * `memo:<Class>.<method>` when a shared `cache` is given.
 *
 * @param options - see {@link CachedOptions}
 * @example
 * ```ts
 * class Prices {
 *   @cached({ ttl: '1m', tags: ['prices'] })
 *   async quote(sku: string) { return fetchQuote(sku) }
 * }
 * ```
 */
export function cached<This, A extends unknown[], R>(
  options: CachedOptions<A> = {},
): (
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
) => (this: This, ...args: A) => R {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options)
  const scope = options.scope ?? 'instance'
  if (scope !== 'instance' && scope !== 'class') throw invalidOption('scope', "'instance' or 'class'", scope)
  return function decorate(method, context) {
    if (context.kind !== 'method') {
      throw invalidOption('@cached', 'applied to a class method', context.kind)
    }
    if (context.private) throw invalidOption('@cached', 'applied to a public method (not #private)', context.name)
    let memo: Memoized<(this: This, ...args: A) => R> | undefined
    const key =
      options.key ??
      (scope === 'class'
        ? undefined
        : function instanceKey(this: unknown, ...args: A): string {
            return `${idOf(this)}:${argsKey(args)}`
          })
    const build = (self: This) => {
      const owner = typeof self === 'function' ? self.name : (self as object)?.constructor?.name
      return memoize(method, { ...options, key, name: options.name ?? `memo:${owner ?? ''}.${String(context.name)}` })
    }
    const replacement = function (this: This, ...args: A): R {
      memo ??= build(this)
      return memo.apply(this, args)
    }
    Object.defineProperty(replacement, 'name', { value: String(context.name) })
    Object.defineProperty(replacement, 'clear', {
      value: async () => {
        await memo?.clear()
      },
    })
    return replacement
  }
}
