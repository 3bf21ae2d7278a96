// apicache ships no types; the benchmark uses one function of it.
declare module 'apicache' {
  import type { RequestHandler } from 'express'

  const apicache: { middleware(duration: string): RequestHandler }
  export default apicache
}
