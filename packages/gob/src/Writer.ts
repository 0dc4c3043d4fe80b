/**
 * Gob's primitive encodings — the writing side: a growable scratch buffer
 * with writers for varints, floats, strings and byte slices (see `Wire.ts`
 * for the format).
 *
 * @internal
 */

const TWO31 = 2147483648
const TWO32 = 4294967296

const utf8Encoder = new TextEncoder()
const floatScratch = new Uint8Array(8)
const floatView = new DataView(floatScratch.buffer)

/** UTF-8 byte length of `s`, given that `s[0..from)` is ASCII. */
const utf8Length = (s: string, from: number): number => {
  let bytes = from
  const len = s.length
  for (let i = from; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/**
 * Byte count of the uint encoding of `x` (a non-negative safe integer).
 *
 * @internal
 */
export const uintSize = (x: number): number => {
  if (x < 0x80) return 1
  let n = 1
  while (x >= 256) {
    x = Math.floor(x / 256)
    n++
  }
  return n + 1
}

/**
 * Writes the uint `x` (a non-negative safe integer) at `buf[at..]`, which
 * must have room for `uintSize(x)` bytes.
 *
 * @internal
 */
export const putUint = (buf: Uint8Array, at: number, x: number): void => {
  if (x < 0x80) {
    buf[at] = x
    return
  }
  const n = uintSize(x) - 1
  buf[at] = 256 - n
  for (let i = n; i >= 1; i--) {
    buf[at + i] = x % 256
    x = Math.floor(x / 256)
  }
}

/**
 * A growable scratch buffer with gob's primitive writers.
 *
 * @internal
 */
export class Writer {
  buf: Uint8Array
  pos = 0
  /** Byte slices of at least this many bytes are recorded by reference (`refAt`, `refs`) instead of copied; 0: never. */
  refMin = 0
  /** Where each referenced slice belongs in the scratch buffer. */
  readonly refAt: Array<number> = []
  readonly refs: Array<Uint8Array> = []
  /** Bytes referenced so far. */
  refBytes = 0

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity)
  }

  ensure(n: number): void {
    const need = this.pos + n
    if (need > this.buf.length) {
      let cap = this.buf.length * 2
      while (cap < need) cap *= 2
      const next = new Uint8Array(cap)
      next.set(this.buf.subarray(0, this.pos))
      this.buf = next
    }
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1)
    this.buf[this.pos++] = b
  }

  /** A uint given as two 32-bit halves. */
  uintParts(hi: number, lo: number): void {
    this.ensure(9)
    const buf = this.buf
    let p = this.pos
    if (hi === 0) {
      if (lo < 0x80) {
        buf[p++] = lo
      } else {
        const n = lo < 0x100 ? 1 : lo < 0x10000 ? 2 : lo < 0x1000000 ? 3 : 4
        buf[p++] = 256 - n
        for (let s = (n - 1) * 8; s >= 0; s -= 8) buf[p++] = (lo >>> s) & 0xff
      }
    } else {
      const m = hi < 0x100 ? 1 : hi < 0x10000 ? 2 : hi < 0x1000000 ? 3 : 4
      buf[p++] = 256 - (4 + m)
      for (let s = (m - 1) * 8; s >= 0; s -= 8) buf[p++] = (hi >>> s) & 0xff
      buf[p++] = (lo >>> 24) & 0xff
      buf[p++] = (lo >>> 16) & 0xff
      buf[p++] = (lo >>> 8) & 0xff
      buf[p++] = lo & 0xff
    }
    this.pos = p
  }

  /** A uint: `x` must be an integer in `0 … 2^64-1`. */
  uint(x: number): void {
    if (x < 0x80) this.byte(x)
    else if (x < TWO32) this.uintParts(0, x)
    else this.uintParts(Math.floor(x / TWO32), x % TWO32)
  }

  /** An int: `x` must be a safe integer. */
  int(x: number): void {
    if (x >= 0) {
      if (x < 0x40) this.byte(x * 2)
      else this.uint(x * 2)
      return
    }
    const m = -x - 1
    if (m < 0x40) this.byte(m * 2 + 1)
    else if (m < 2 ** 52) this.uint(m * 2 + 1)
    else this.uintParts(Math.floor(m / TWO31), (m % TWO31) * 2 + 1)
  }

  /** A uint from a bigint in `0 … 2^64-1`. */
  bigUint(v: bigint): void {
    if (v < 0x80n) this.byte(Number(v))
    else this.uintParts(Number(v >> 32n), Number(v & 0xffffffffn))
  }

  /** An int from a bigint in `-2^63 … 2^63-1`. */
  bigInt(v: bigint): void {
    this.bigUint(v < 0n ? ((-v - 1n) << 1n) | 1n : v << 1n)
  }

  float(x: number): void {
    const f = floatScratch
    floatView.setFloat64(0, x, true)
    let k = 0
    while (k < 8 && f[k] === 0) k++
    if (k === 8) {
      this.byte(0)
      return
    }
    if (k === 7 && f[7]! < 0x80) {
      this.byte(f[7]!)
      return
    }
    this.ensure(9)
    const buf = this.buf
    let p = this.pos
    buf[p++] = 256 - (8 - k)
    for (let i = k; i < 8; i++) buf[p++] = f[i]!
    this.pos = p
  }

  bytes(b: Uint8Array): void {
    const n = b.length
    this.uint(n)
    if (this.refMin > 0 && n >= this.refMin) {
      this.refAt.push(this.pos)
      this.refs.push(b)
      this.refBytes += n
      return
    }
    this.ensure(n)
    this.buf.set(b, this.pos)
    this.pos += n
  }

  string(s: string): void {
    const len = s.length
    let i = 0
    while (i < len && s.charCodeAt(i) < 0x80) i++
    if (i === len) {
      this.uint(len)
      this.ensure(len)
      const buf = this.buf
      let p = this.pos
      if (len <= 64) {
        for (let j = 0; j < len; j++) buf[p++] = s.charCodeAt(j)
        this.pos = p
      } else {
        this.pos += utf8Encoder.encodeInto(s, buf.subarray(p, p + len)).written
      }
      return
    }
    const n = utf8Length(s, i)
    this.uint(n)
    this.ensure(n)
    this.pos += utf8Encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + n)).written
  }
}
