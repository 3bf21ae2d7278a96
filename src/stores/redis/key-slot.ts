/**
 * Redis Cluster's key → slot mapping (CRC16/XMODEM of the key or of its
 * `{hash tag}`, modulo 16384), so many-key operations can be split per slot
 * instead of failing with CROSSSLOT.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model
 * @module
 */

const TABLE = new Uint16Array(256)
for (let i = 0; i < 256; i++) {
  let crc = i << 8
  for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  TABLE[i] = crc
}

const encoder = new TextEncoder()

/** The cluster slot (0–16383) of `key`, honouring a `{hash tag}` as Redis does. */
export function keySlot(key: string): number {
  const open = key.indexOf('{')
  if (open !== -1) {
    const close = key.indexOf('}', open + 1)
    // An empty tag ("{}") does not count: the whole key is hashed.
    if (close > open + 1) key = key.slice(open + 1, close)
  }
  const bytes = encoder.encode(key)
  let crc = 0
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!) & 0xffff
  return crc & 16383
}

/** Indices of `keys` grouped by slot, in first-seen order. */
export function groupBySlot(keys: readonly string[]): number[][] {
  const groups = new Map<number, number[]>()
  for (let i = 0; i < keys.length; i++) {
    const slot = keySlot(keys[i]!)
    let group = groups.get(slot)
    if (group === undefined) groups.set(slot, (group = []))
    group.push(i)
  }
  return [...groups.values()]
}
