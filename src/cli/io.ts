/**
 * Where the CLI's commands write, and how they learn to stop: one shape for
 * `cachestack` and the standalone `cachestack proxy`, and the process's own.
 * @module
 */

/** @internal Where a command writes. */
export interface Io {
  /** Writes a line to stdout. */
  out(text: string): void
  /** Writes a line to stderr. */
  err(text: string): void
  /** Resolves when the user asks the process to stop (SIGINT/SIGTERM); used by `dashboard` and `proxy`. */
  untilStopped(): Promise<void>
}

/** @internal The process's stdout, stderr and stop signals. */
export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  untilStopped: () =>
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    }),
}
