/**
 * Gob's primitive encodings over a `Uint8Array` and an offset — the reading
 * side: unsigned and signed varints, floats, lengths, strings and byte slices.
 *
 * - uint: < 128 in one byte; otherwise a byte holding the negated byte count,
 *   then the big-endian bytes (at most 8).
 * - int: `x << 1` for x >= 0, `(^x << 1) | 1` for x < 0, sent as a uint.
 * - float: the IEEE-754 bits byte-reversed, sent as a uint.
 * - string / []byte: uint length, then the bytes.
 *
 * @internal
 */
import { fail } from "./GobError.ts"
import { EMPTY_BYTES } from "./Type.ts"

const TWO31 = 2147483648
const TWO32 = 4294967296
const TWO63 = 2 ** 63
const MAX_SAFE = Number.MAX_SAFE_INTEGER

const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true })
const floatScratch = new Uint8Array(8)
const floatView = new DataView(floatScratch.buffer)

/**
 * A cursor over one message: `buf[pos..end)`. `owned` is true when `buf` was
 * assembled by the decoder (so views of it may be handed out), false when it
 * is a pushed chunk (so byte slices must be copied).
 *
 * @internal
 */
export class Reader {
  buf: Uint8Array = EMPTY_BYTES
  pos = 0
  end = 0
  owned = false

  reset(buf: Uint8Array, pos: number, end: number, owned: boolean): void {
    this.buf = buf
    this.pos = pos
    this.end = end
    this.owned = owned
  }
}

const endOfMessage = (what: string): never => fail("Truncated", `message ends inside ${what}`)

const longVarint = (n: number): never => fail("Overflow", `varint announces ${n} bytes (at most 8 are allowed)`)

/**
 * Reads a uint as a number. Exact up to 2^53; above that it is rounded, but
 * always stays above `Number.MAX_SAFE_INTEGER` (rounding is monotonic).
 *
 * @internal
 */
export const readUint = (r: Reader): number => {
  const buf = r.buf
  let p = r.pos
  if (p >= r.end) return endOfMessage("an unsigned integer")
  const b = buf[p++]!
  if (b < 0x80) {
    r.pos = p
    return b
  }
  const n = 256 - b
  if (n > 8) return longVarint(n)
  const stop = p + n
  if (stop > r.end) return endOfMessage("an unsigned integer")
  let x = 0
  while (p < stop) x = x * 256 + buf[p++]!
  r.pos = p
  return x
}

/** Reads a uint that must be a safe integer (Go uint → `number`). @internal */
export const readUintSafe = (r: Reader): number => {
  const x = readUint(r)
  if (x > MAX_SAFE) fail("Overflow", "unsigned integer exceeds Number.MAX_SAFE_INTEGER")
  return x
}

/** Skips a uint. @internal */
export const skipUint = (r: Reader): void => {
  const p = r.pos
  if (p >= r.end) endOfMessage("an unsigned integer")
  const b = r.buf[p]!
  if (b < 0x80) {
    r.pos = p + 1
    return
  }
  const n = 256 - b
  if (n > 8) longVarint(n)
  if (p + 1 + n > r.end) endOfMessage("an unsigned integer")
  r.pos = p + 1 + n
}

/**
 * Reads the uint's bytes; returns the byte count `n` (0 for a one-byte
 * value, whose value is then in `hi`/`lo` too). Sets `parts[0]` = high bits
 * above 32, `parts[1]` = low 32 bits.
 */
const parts = [0, 0]
const readParts = (r: Reader): void => {
  const buf = r.buf
  let p = r.pos
  if (p >= r.end) endOfMessage("an integer")
  const b = buf[p++]!
  if (b < 0x80) {
    r.pos = p
    parts[0] = 0
    parts[1] = b
    return
  }
  const n = 256 - b
  if (n > 8) longVarint(n)
  const stop = p + n
  if (stop > r.end) endOfMessage("an integer")
  let hi = 0
  while (p < stop - 4) hi = hi * 256 + buf[p++]!
  let lo = 0
  while (p < stop) lo = lo * 256 + buf[p++]!
  r.pos = p
  parts[0] = hi
  parts[1] = lo
}

/** Reads an int that must be a safe integer (Go int → `number`). @internal */
export const readInt = (r: Reader): number => {
  const p = r.pos
  if (p < r.end) {
    const b = r.buf[p]!
    if (b < 0x80) {
      r.pos = p + 1
      return b & 1 ? -(b >> 1) - 1 : b >> 1
    }
  }
  readParts(r)
  const hi = parts[0]!
  const lo = parts[1]!
  const m = hi * TWO31 + Math.floor(lo / 2)
  if (lo % 2 === 1) {
    if (m >= MAX_SAFE) fail("Overflow", "integer is below Number.MIN_SAFE_INTEGER")
    return -m - 1
  }
  if (m > MAX_SAFE) fail("Overflow", "integer exceeds Number.MAX_SAFE_INTEGER")
  return m
}

/** Reads a uint as a bigint (Go uint64). @internal */
export const readUintBig = (r: Reader): bigint => {
  readParts(r)
  const hi = parts[0]!
  const lo = parts[1]!
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo)
}

/** Reads an int as a bigint (Go int64). @internal */
export const readIntBig = (r: Reader): bigint => {
  readParts(r)
  const hi = parts[0]!
  const lo = parts[1]!
  if (hi < 0x200000) {
    // u < 2^53: exact in a double.
    const u = hi * TWO32 + lo
    return BigInt(u % 2 === 1 ? -(u - 1) / 2 - 1 : u / 2)
  }
  const u = (BigInt(hi) << 32n) | BigInt(lo)
  return u & 1n ? ~(u >> 1n) : u >> 1n
}

/** Reads a float (byte-reversed IEEE bits sent as a uint). @internal */
export const readFloat = (r: Reader): number => {
  const buf = r.buf
  let p = r.pos
  if (p >= r.end) return endOfMessage("a float")
  const b = buf[p++]!
  const f = floatScratch
  if (b < 0x80) {
    r.pos = p
    if (b === 0) return 0
    f.fill(0, 0, 7)
    f[7] = b
    return floatView.getFloat64(0, true)
  }
  const n = 256 - b
  if (n > 8) return longVarint(n)
  if (p + n > r.end) return endOfMessage("a float")
  f.fill(0, 0, 8 - n)
  for (let i = 8 - n; i < 8; i++) f[i] = buf[p++]!
  r.pos = p
  return floatView.getFloat64(0, true)
}

/**
 * Reads a length or element count and checks it against the bytes left in
 * the message, so a claimed size is never allocated (every element takes at
 * least one byte).
 *
 * @internal
 */
export const readCount = (r: Reader, what: string): number => {
  const n = readUint(r)
  if (n > r.end - r.pos) {
    if (n >= TWO63) fail("NegativeLength", `${what} length ${n} is negative as a Go int`)
    fail("Truncated", `${what} length ${n} exceeds the ${r.end - r.pos} bytes left in the message`)
  }
  return n
}

/** Reads a `[]byte`: a view of an owned buffer, else a copy. @internal */
export const readBytes = (r: Reader): Uint8Array => {
  const n = readCount(r, "byte slice")
  if (n === 0) return EMPTY_BYTES
  const p = r.pos
  r.pos = p + n
  return r.owned ? r.buf.subarray(p, p + n) : r.buf.slice(p, p + n)
}

/** Reads a UTF-8 string. @internal */
export const readString = (r: Reader): string => {
  const n = readCount(r, "string")
  if (n === 0) return ""
  const buf = r.buf
  const p = r.pos
  const stop = p + n
  r.pos = stop
  if (n <= 24) {
    let s = ""
    for (let i = p; i < stop; i++) {
      const c = buf[i]!
      if (c >= 0x80) return utf8Decoder.decode(buf.subarray(p, stop))
      s += String.fromCharCode(c)
    }
    return s
  }
  return utf8Decoder.decode(buf.subarray(p, stop))
}

/** Skips a string or byte slice. @internal */
export const skipBytes = (r: Reader): void => {
  const n = readCount(r, "byte slice")
  r.pos += n
}
