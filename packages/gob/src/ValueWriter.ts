/**
 * Value encoders, compiled once per descriptor.
 *
 * Go's rules: a struct is `(field delta, value)*` then `0`, omitting fields
 * whose value is zero (0, -0, false, "", empty slice / []byte / map); nested
 * struct and array fields are always sent. Slice, array and map elements are
 * always sent. Values that do not fit their descriptor at run time are
 * converted like Go conversions: numbers are truncated toward zero (NaN and
 * ±Infinity become 0) and wrapped modulo 2^64; anything of the wrong kind
 * (e.g. `undefined`) is encoded as the zero value.
 *
 * @internal
 */
import { type Desc, EMPTY_BYTES } from "./Type.ts"
import type { Writer } from "./Writer.ts"

/** Writes a value (always, zero or not). @internal */
export type WriteFn = (w: Writer, v: unknown) => void
/** Is the value zero (omitted as a struct field)? @internal */
export type ZeroFn = (v: unknown) => boolean

/** @internal */
export interface ValueCodec {
  readonly write: WriteFn
  readonly isZero: ZeroFn
}

const TWO64 = 2 ** 64

const toInteger = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : 0)

const toBig = (v: unknown): bigint => {
  if (typeof v === "bigint") return v
  const x = toInteger(v)
  return x === 0 ? 0n : BigInt(x)
}

const writeIntNumber: WriteFn = (w, v) => {
  const x = toInteger(v)
  if (Number.isSafeInteger(x)) w.int(x)
  else w.bigInt(BigInt.asIntN(64, BigInt(x)))
}

const writeUintNumber: WriteFn = (w, v) => {
  const x = toInteger(v)
  if (x >= 0 && x < TWO64) w.uint(x)
  else w.bigUint(BigInt.asUintN(64, BigInt(x)))
}

const isZeroInteger: ZeroFn = (v) => toInteger(v) === 0
const isZeroBig: ZeroFn = (v) => (typeof v === "bigint" ? BigInt.asUintN(64, v) === 0n : toInteger(v) === 0)

const bool: ValueCodec = { write: (w, v) => w.byte(v === true ? 1 : 0), isZero: (v) => v !== true }
const int: ValueCodec = { write: writeIntNumber, isZero: isZeroInteger }
const uint: ValueCodec = { write: writeUintNumber, isZero: isZeroInteger }
const int64: ValueCodec = { write: (w, v) => w.bigInt(BigInt.asIntN(64, toBig(v))), isZero: isZeroBig }
const uint64: ValueCodec = { write: (w, v) => w.bigUint(BigInt.asUintN(64, toBig(v))), isZero: isZeroBig }
const float: ValueCodec = {
  write: (w, v) => w.float(typeof v === "number" ? v : 0),
  // Go omits a float field when `f == 0`, which is true for -0 too.
  isZero: (v) => typeof v !== "number" || v === 0
}
const string: ValueCodec = {
  write: (w, v) => w.string(typeof v === "string" ? v : ""),
  isZero: (v) => typeof v !== "string" || v.length === 0
}
const bytes: ValueCodec = {
  write: (w, v) => w.bytes(v instanceof Uint8Array ? v : EMPTY_BYTES),
  isZero: (v) => !(v instanceof Uint8Array) || v.length === 0
}

const arrayLike = (v: unknown): ArrayLike<unknown> | undefined =>
  Array.isArray(v)
    ? v
    : typeof v === "object" && v !== null && typeof (v as { length?: unknown }).length === "number"
      ? (v as ArrayLike<unknown>)
      : undefined

const isZeroLength: ZeroFn = (v) => {
  const a = arrayLike(v)
  return a === undefined || a.length === 0
}

const cache = new WeakMap<Desc, ValueCodec>()

/**
 * The encoder of a descriptor (compiled once, cached).
 *
 * @internal
 */
export const codecOf = (d: Desc): ValueCodec => {
  const known = cache.get(d)
  if (known !== undefined) return known
  const c = compile(d)
  cache.set(d, c)
  return c
}

const compile = (d: Desc): ValueCodec => {
  switch (d.kind) {
    case "bool":
      return bool
    case "int":
      return int
    case "uint":
      return uint
    case "int64":
      return int64
    case "uint64":
      return uint64
    case "float":
      return float
    case "string":
      return string
    case "bytes":
      return bytes
    case "slice": {
      const elem = codecOf(d.elem).write
      return {
        write: (w, v) => {
          const a = arrayLike(v)
          const n = a === undefined ? 0 : a.length
          w.uint(n)
          for (let i = 0; i < n; i++) elem(w, a![i])
        },
        isZero: isZeroLength
      }
    }
    case "array": {
      const elem = codecOf(d.elem).write
      const n = d.length
      return {
        write: (w, v) => {
          const a = arrayLike(v)
          w.uint(n)
          for (let i = 0; i < n; i++) elem(w, a === undefined ? undefined : a[i])
        },
        isZero: () => false
      }
    }
    case "map": {
      const key = codecOf(d.key).write
      const elem = codecOf(d.elem).write
      return {
        write: (w, v) => {
          if (!(v instanceof Map)) {
            w.byte(0)
            return
          }
          w.uint(v.size)
          for (const [k, x] of v) {
            key(w, k)
            elem(w, x)
          }
        },
        // Go omits nil maps only; a JavaScript Map has no nil, so empty ones are omitted.
        isZero: (v) => !(v instanceof Map) || v.size === 0
      }
    }
    case "struct": {
      const n = d.fields.length
      const names = d.fields.map((f) => f.name)
      const writes: Array<WriteFn> = []
      const zeros: Array<ZeroFn> = []
      for (const f of d.fields) {
        const c = codecOf(f.type)
        writes.push(c.write)
        zeros.push(c.isZero)
      }
      const empty: Record<string, unknown> = {}
      return {
        write: (w, v) => {
          const o = (typeof v === "object" && v !== null ? v : empty) as Record<string, unknown>
          let last = -1
          for (let i = 0; i < n; i++) {
            const x = o[names[i]!]
            if (!zeros[i]!(x)) {
              w.uint(i - last)
              last = i
              writes[i]!(w, x)
            }
          }
          w.byte(0)
        },
        isZero: () => false
      }
    }
  }
}
