/**
 * How the Redis store lays out one entry: the names of the tag and namespace
 * versions it depends on, then the cache's bytes. Kept in the value itself so
 * one Lua script can GET the entry and MGET its counters in one round trip.
 *
 * ```
 * 0x00 payload                                   no names
 * 0x01 count:u16 (len:u32 name:utf8)×count payload
 * ```
 * @module
 */

const UNTAGGED = 0x00
const TAGGED = 0x01
/** The first byte of an entry that records names. */
export const TAGGED_ENTRY = TAGGED

/** The bytes to store for `payload` with `tags`. One copy of the payload. */
export function encodeEntry(payload: Uint8Array, tags: readonly string[] | undefined): Buffer {
  if (tags === undefined || tags.length === 0) {
    const out = Buffer.allocUnsafe(1 + payload.byteLength)
    out[0] = UNTAGGED
    out.set(payload, 1)
    return out
  }
  const names = tags.map((t) => Buffer.from(t, 'utf8'))
  let size = 3 + payload.byteLength
  for (const n of names) size += 4 + n.byteLength
  const out = Buffer.allocUnsafe(size)
  out[0] = TAGGED
  out.writeUInt16BE(names.length, 1)
  let p = 3
  for (const n of names) {
    out.writeUInt32BE(n.byteLength, p)
    out.set(n, p + 4)
    p += 4 + n.byteLength
  }
  out.set(payload, p)
  return out
}

/** Where the payload starts in a stored entry, or -1 when the bytes are not an entry. */
export function payloadOffset(stored: Uint8Array): number {
  const kind = stored[0]
  if (kind === UNTAGGED) return 1
  if (kind !== TAGGED || stored.byteLength < 3) return -1
  const count = (stored[1]! << 8) | stored[2]!
  let p = 3
  for (let i = 0; i < count; i++) {
    if (p + 4 > stored.byteLength) return -1
    p += 4 + stored[p]! * 16_777_216 + stored[p + 1]! * 65_536 + stored[p + 2]! * 256 + stored[p + 3]!
  }
  return p <= stored.byteLength ? p : -1
}

/** The cache's bytes inside a stored entry (a view, no copy), or `undefined` for foreign bytes. */
export function decodeEntry(stored: Uint8Array | null | undefined): Uint8Array | undefined {
  if (stored === null || stored === undefined) return undefined
  const at = payloadOffset(stored)
  return at < 0 ? undefined : stored.subarray(at)
}

/** The tag names recorded in a stored entry. */
export function entryTags(stored: Uint8Array): string[] {
  if (stored[0] !== TAGGED) return []
  const view = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength)
  const count = view.readUInt16BE(1)
  const out = new Array<string>(count)
  let p = 3
  for (let i = 0; i < count; i++) {
    const len = view.readUInt32BE(p)
    out[i] = view.toString('utf8', p + 4, p + 4 + len)
    p += 4 + len
  }
  return out
}

/**
 * The Lua script of `getWithVersions`: GET the entry; when it records names,
 * MGET their counters (`ARGV[1]` .. name). Returns `{ entry, v1, v2, … }` or
 * nil. Standalone and Sentinel only: in a Cluster the counters live in another
 * slot than the entry.
 */
export const GET_WITH_VERSIONS = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
if string.byte(v, 1) ~= 1 then return {v} end
local b1, b2 = string.byte(v, 2, 3)
local n = b1 * 256 + b2
if n == 0 then return {v} end
local p = 4
local keys = {}
for i = 1, n do
  local c1, c2, c3, c4 = string.byte(v, p, p + 3)
  local len = ((c1 * 256 + c2) * 256 + c3) * 256 + c4
  keys[i] = ARGV[1] .. string.sub(v, p + 4, p + 3 + len)
  p = p + 4 + len
end
local counts = redis.call('MGET', unpack(keys))
local out = {v}
for i = 1, n do out[i + 1] = tonumber(counts[i]) or 0 end
return out
`

/**
 * The Lua script of `compareAndSet`: when the entry under `KEYS[1]` holds the
 * payload `ARGV[1]` (whatever names its header records), replaces it with the
 * whole entry `ARGV[2]`, with `PX ARGV[3]` (`'0'`: no expiry; `'-1'`: delete
 * it instead). Returns 1 when it did, 0 otherwise. One key: Cluster-safe.
 */
export const COMPARE_AND_SET = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local kind = string.byte(v, 1)
local p = 2
if kind == 1 then
  local b1, b2 = string.byte(v, 2, 3)
  if not b2 then return 0 end
  p = 4
  for i = 1, b1 * 256 + b2 do
    local c1, c2, c3, c4 = string.byte(v, p, p + 3)
    if not c4 then return 0 end
    p = p + 4 + ((c1 * 256 + c2) * 256 + c3) * 256 + c4
  end
elseif kind ~= 0 then
  return 0
end
if string.sub(v, p) ~= ARGV[1] then return 0 end
if ARGV[3] == '-1' then redis.call('DEL', KEYS[1])
elseif ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
`
