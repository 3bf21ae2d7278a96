/**
 * Reading a web body up to a size, without losing what is past it.
 * @module
 */

/**
 * @internal Reads a body whole when it fits in `max` bytes; else returns a stream that
 * replays what was read and then the rest.
 */
export async function readUpTo(
  stream: ReadableStream<Uint8Array>,
  max: number,
): Promise<{ body: Uint8Array; rest?: undefined } | { body?: undefined; rest: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { body: Buffer.concat(chunks, size) }
    chunks.push(value)
    size += value.byteLength
    if (size > max) break
  }
  let i = 0
  const rest = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < chunks.length) {
        controller.enqueue(chunks[i]!)
        chunks[i++] = new Uint8Array(0)
        return
      }
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
  return { rest }
}
