/**
 * CRC-32 with the Koopman polynomial, as protocol 9 uses it for
 * `V9Header.Crc32` (Go: `crc32.MakeTable(crc32.Koopman)`).
 *
 * Reflected algorithm, polynomial 0xeb31d82e (reversed form of 0x741b8cd7),
 * initial value and final xor 0xffffffff.
 *
 * @since 0.1.0
 */

const POLYNOMIAL = 0xeb31d82e

const makeTable = (): Uint32Array => {
  const table = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let crc = i
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1
    }
    table[i] = crc >>> 0
  }
  return table
}

/**
 * The 256-entry lookup table (identical to Go's `crc32.MakeTable(crc32.Koopman)`).
 *
 * @since 0.1.0
 */
export const table: Uint32Array = makeTable()

// Slicing-by-8: eight derived tables let the loop consume 8 bytes per step
// (about 4x the byte-at-a-time loop on 64 KiB payloads; see bench/codec.ts).
const slices: ReadonlyArray<Uint32Array> = (() => {
  const out = [table]
  for (let k = 1; k < 8; k++) {
    const prev = out[k - 1]!
    const next = new Uint32Array(256)
    for (let i = 0; i < 256; i++) next[i] = (prev[i]! >>> 8) ^ table[prev[i]! & 0xff]!
    out.push(next)
  }
  return out
})()
const [T0, T1, T2, T3, T4, T5, T6, T7] = slices as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array
]

/**
 * The Koopman CRC-32 of `data`, as an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import { Crc32 } from "@catp2p/p2p"
 * Crc32.checksum(new TextEncoder().encode("123456789")) // 0x2d3dd0ae
 * ```
 * @since 0.1.0
 */
export const checksum = (data: Uint8Array): number => {
  let crc = 0xffffffff
  let i = 0
  const end8 = data.length - (data.length % 8)
  for (; i < end8; i += 8) {
    crc ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    crc =
      T7[crc & 0xff]! ^
      T6[(crc >>> 8) & 0xff]! ^
      T5[(crc >>> 16) & 0xff]! ^
      T4[crc >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!
  }
  for (; i < data.length; i++) {
    crc = T0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}
