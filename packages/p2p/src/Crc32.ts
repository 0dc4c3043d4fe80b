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
  for (let i = 0; i < data.length; i++) {
    crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}
