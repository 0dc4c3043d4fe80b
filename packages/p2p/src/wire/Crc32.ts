/**
 * CRC-32 with the Koopman polynomial, as protocol 9 uses it for
 * `V9Header.Crc32` (Go: `crc32.MakeTable(crc32.Koopman)`).
 *
 * Reflected algorithm, polynomial 0xeb31d82e (reversed form of 0x741b8cd7),
 * initial value and final xor 0xffffffff.
 *
 * @since 0.1.0
 * @module
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
 * @category constants
 * @since 0.1.0
 */
export const table: Uint32Array = makeTable()

// Slicing-by-16: fifteen derived tables, flat in one array, let the loop
// consume 16 bytes per step: about 1.4 GB/s here against 1.0 for
// slicing-by-8 and 0.25 byte at a time (64 KiB payloads; the checksum is
// what limits protocol 9 at 64 KiB, on both sides).
const T = (() => {
  const out = new Int32Array(16 * 256)
  out.set(table)
  for (let k = 1; k < 16; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = out[(k - 1) * 256 + i]!
      out[k * 256 + i] = (prev >>> 8) ^ out[prev & 0xff]!
    }
  }
  return out
})()

/**
 * The CRC-32 (Koopman) of `data`.
 *
 * @category utils
 * @since 0.1.0
 */
export const checksum = (data: Uint8Array): number => {
  let crc = -1
  let i = 0
  const n = data.length
  const end16 = n - (n % 16)
  for (; i < end16; i += 16) {
    const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))
    crc =
      T[3840 + (a & 0xff)]! ^
      T[3584 + ((a >>> 8) & 0xff)]! ^
      T[3328 + ((a >>> 16) & 0xff)]! ^
      T[3072 + (a >>> 24)]! ^
      T[2816 + data[i + 4]!]! ^
      T[2560 + data[i + 5]!]! ^
      T[2304 + data[i + 6]!]! ^
      T[2048 + data[i + 7]!]! ^
      T[1792 + data[i + 8]!]! ^
      T[1536 + data[i + 9]!]! ^
      T[1280 + data[i + 10]!]! ^
      T[1024 + data[i + 11]!]! ^
      T[768 + data[i + 12]!]! ^
      T[512 + data[i + 13]!]! ^
      T[256 + data[i + 14]!]! ^
      T[data[i + 15]!]!
  }
  for (; i < n; i++) crc = T[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}
