// The fixture app of test/integrations/next.test.ts: 'use cache' and the data
// cache on cachestack's handlers, built with `next build` and run twice.
import { fileURLToPath } from 'node:url'

const here = (file) => fileURLToPath(new URL(file, import.meta.url))

/** @type {import('next').NextConfig} */
export default {
  cacheComponents: true,
  cacheHandlers: { default: here('./cache-handler.mjs'), remote: here('./cache-handler.mjs') },
  cacheHandler: here('./incremental-cache.mjs'),
  cacheMaxMemorySize: 0,
  serverExternalPackages: ['cachestack'],
  partialPrefetching: false,
  distDir: process.env.NEXT_DIST_DIR ?? '.next',
  typescript: { ignoreBuildErrors: true },
  turbopack: { root: here('../../..') },
  outputFileTracingRoot: here('../../..'),
}
