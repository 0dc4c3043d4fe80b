/**
 * The gob stream encoder.
 *
 * @since 0.1.0
 */
import { type Desc, desc, type Type } from "./Type.ts"
import { TypeIds, typeEntry } from "./TypeIds.ts"
import { codecOf } from "./ValueWriter.ts"
import { putUint, uintSize, Writer } from "./Writer.ts"
import { basicId, writeDefinition } from "./WireType.ts"

/**
 * Options of an {@link Encoder}.
 *
 * @category encoding
 * @since 0.1.0
 */
export interface EncoderOptions {
  /** The id registry; share one between encoders for stable ids. Default: a fresh `TypeIds(65)`. */
  readonly typeIds?: TypeIds
}

/** Room reserved before each message body for its length prefix (a uint takes at most 9 bytes). */
const PREFIX = 9
/** The scratch buffer is dropped back to this size after an encode that grew it beyond `SHRINK_ABOVE`. */
const INITIAL = 4096
const SHRINK_ABOVE = 4 * 1024 * 1024

/**
 * One gob stream's encoder (Go's `gob.Encoder`). Each `encode` returns the
 * bytes one Go `Encoder.Encode` call writes: the definitions of user types
 * this stream has not sent yet (each exactly once per encoder, in Go's
 * order: a type before the types it contains), then the value message.
 *
 * Encoding cannot fail: values that do not fit their descriptor at run time
 * are converted (numbers truncated toward zero and wrapped modulo 2^64, NaN
 * and ±Infinity as 0 for integers, values of the wrong kind as zero values).
 *
 * @category encoding
 * @since 0.1.0
 */
export class Encoder {
  /** The id registry this encoder draws ids from. */
  readonly typeIds: TypeIds
  readonly #sent = new Set<Desc>()
  #w = new Writer(INITIAL)
  /** Message boundaries in the scratch buffer: start, end pairs. */
  readonly #segments: Array<number> = []

  constructor(options?: EncoderOptions) {
    this.typeIds = options?.typeIds ?? new TypeIds()
  }

  /**
   * Encodes one value of `type`, preceded by any type definitions this stream
   * still needs. Returns a fresh `Uint8Array` (the scratch buffer is reused).
   */
  encode<A>(type: Type<A>, value: A): Uint8Array {
    const d = desc(type)
    this.#w.pos = 0
    this.#segments.length = 0
    this.#append(d, value)
    return this.#collect()
  }

  /**
   * Encodes several values of `type` in order, as consecutive `encode`
   * calls would, and returns their bytes as one fresh `Uint8Array` (one
   * allocation and one copy for the whole batch).
   */
  encodeMany<A>(type: Type<A>, values: ReadonlyArray<A>): Uint8Array {
    const d = desc(type)
    this.#w.pos = 0
    this.#segments.length = 0
    for (let i = 0; i < values.length; i++) this.#append(d, values[i]!)
    return this.#collect()
  }

  /**
   * Like {@link encodeMany}, but byte slices (`[]byte` values) of at least
   * `byReference` bytes are not copied: the result is a list of chunks whose
   * concatenation is the bytes `encodeMany` returns, in which each such slice
   * is a chunk of its own, the caller's array itself. Everything else is
   * copied once into one fresh buffer that the other chunks are views of.
   */
  encodeManyChunks<A>(type: Type<A>, values: ReadonlyArray<A>, byReference: number): Array<Uint8Array> {
    const d = desc(type)
    const w = this.#w
    w.pos = 0
    this.#segments.length = 0
    w.refMin = Math.max(1, byReference)
    try {
      for (let i = 0; i < values.length; i++) this.#append(d, values[i]!)
      return this.#collectChunks()
    } finally {
      w.refMin = 0
      w.refAt.length = 0
      w.refs.length = 0
      w.refBytes = 0
    }
  }

  /** Appends one value message (and the definitions it needs) to the scratch buffer. */
  #append(d: Desc, value: unknown): void {
    const w = this.#w
    const id = basicId(d) ?? this.typeIds.register(d)
    this.#sendType(d)
    const refBytesBefore = w.refBytes
    const start = this.#open()
    w.int(id)
    const codec = codecOf(d)
    if (d.kind === "struct") codec.write(w, value)
    else {
      // A top-level non-struct ("singleton") is sent as field 0 of a virtual struct, zero or not.
      w.byte(0)
      codec.write(w, value)
    }
    this.#close(start, refBytesBefore)
  }

  /** The messages in the scratch buffer and the referenced slices, as chunks. */
  #collectChunks(): Array<Uint8Array> {
    const w = this.#w
    const segs = this.#segments
    const refAt = w.refAt
    let total = 0
    for (let i = 0; i < segs.length; i += 2) total += segs[i + 1]! - segs[i]!
    const out = new Uint8Array(total)
    const chunks: Array<Uint8Array> = []
    let off = 0
    let from = 0
    let r = 0
    for (let i = 0; i < segs.length; i += 2) {
      let s = segs[i]!
      const e = segs[i + 1]!
      while (r < refAt.length && refAt[r]! <= e) {
        const at = refAt[r]!
        out.set(w.buf.subarray(s, at), off)
        off += at - s
        s = at
        if (off > from) chunks.push(out.subarray(from, off))
        from = off
        chunks.push(w.refs[r]!)
        r++
      }
      out.set(w.buf.subarray(s, e), off)
      off += e - s
    }
    if (off > from) chunks.push(out.subarray(from, off))
    if (w.buf.length > SHRINK_ABOVE) this.#w = new Writer(INITIAL)
    return chunks
  }

  /** The messages in the scratch buffer as one fresh array. */
  #collect(): Uint8Array {
    const w = this.#w
    const segs = this.#segments
    let total = 0
    for (let i = 0; i < segs.length; i += 2) total += segs[i + 1]! - segs[i]!
    const out = new Uint8Array(total)
    let off = 0
    for (let i = 0; i < segs.length; i += 2) {
      const s = segs[i]!
      const e = segs[i + 1]!
      out.set(w.buf.subarray(s, e), off)
      off += e - s
    }
    if (w.buf.length > SHRINK_ABOVE) this.#w = new Writer(INITIAL)
    return out
  }

  /** Starts a message: reserves room for the length prefix; returns the body start. */
  #open(): number {
    const w = this.#w
    w.ensure(PREFIX)
    w.pos += PREFIX
    return w.pos
  }

  /** Ends a message whose body starts at `start`: writes its length prefix right before it. */
  #close(start: number, refBytesBefore: number): void {
    const w = this.#w
    const end = w.pos
    const len = end - start + (w.refBytes - refBytesBefore)
    const prefixStart = start - uintSize(len)
    putUint(w.buf, prefixStart, len)
    this.#segments.push(prefixStart, end)
  }

  /** Go's `sendType`: defines `d` if needed, then the types it contains (pre-order). */
  #sendType(d: Desc): void {
    if (basicId(d) !== undefined || this.#sent.has(d)) return
    const ids = this.typeIds
    const id = ids.register(d)
    const entry = typeEntry(ids, d)
    const refBytesBefore = this.#w.refBytes
    const start = this.#open()
    writeDefinition(this.#w, d, id, entry?.name ?? "", (t) => ids.register(t))
    this.#close(start, refBytesBefore)
    this.#sent.add(d)
    switch (d.kind) {
      case "struct":
        for (const f of d.fields) this.#sendType(f.type)
        break
      case "slice":
      case "array":
        this.#sendType(d.elem)
        break
      case "map":
        this.#sendType(d.key)
        this.#sendType(d.elem)
        break
      default:
    }
  }
}

/**
 * Encodes several values of one type as a complete gob stream (one fresh
 * {@link Encoder}).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeAll = <A>(type: Type<A>, values: Iterable<A>, options?: EncoderOptions): Uint8Array => {
  const enc = new Encoder(options)
  const parts: Array<Uint8Array> = []
  let total = 0
  for (const v of values) {
    const b = enc.encode(type, v)
    parts.push(b)
    total += b.length
  }
  const out = new Uint8Array(total)
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}
