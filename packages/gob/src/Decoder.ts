/**
 * The streaming gob decoder.
 *
 * @since 0.1.0
 */
import { fail, GobError, toGobError } from "./GobError.ts"
import { Input } from "./Input.ts"
import { type Dec, Planner } from "./Plan.ts"
import { type DecodeFailure, type DecodeResult, needMore } from "./Result.ts"
import { type Desc, desc, EMPTY_BYTES, type Type } from "./Type.ts"
import { Reader, readInt } from "./Wire.ts"
import {
  builtinDefs,
  FIRST_USER_ID,
  Id,
  MAX_TYPE_ID,
  toWireDef,
  type WireDef,
  WireTypeT,
  type WireTypeValue
} from "./WireType.ts"

/**
 * Options of a {@link Decoder}.
 *
 * @category decoding
 * @since 0.1.0
 */
export interface DecoderOptions {
  /** Largest accepted message (its byte count), checked as soon as the length prefix is read. Default 128 MiB. */
  readonly maxMessageSize?: number
  /** Deepest accepted nesting of structs, slices, arrays and maps (in values and in local descriptors). Default 64. */
  readonly maxDepth?: number
  /** Most type definitions accepted on one stream (each is kept for the stream's life). Default 10000. */
  readonly maxTypes?: number
}

/**
 * Options of one {@link Decoder.decode} call.
 *
 * @category decoding
 * @since 0.1.0
 */
export interface DecodeOptions {
  /**
   * Require remote struct type names to equal the local struct names (at every
   * level), failing with `TypeMismatch` otherwise, instead of Go's lenient
   * match by field names. E.g. rejects a `V9Msg` where a `V10Msg` is expected.
   * (Go sends an empty name for a struct type first reached as an array
   * element or a map key/element; such a struct never matches exactly.)
   */
  readonly exactName?: boolean
  /**
   * Answer `NeedMore` instead of consuming a message whose body is longer
   * than this, even when it is all here (a type definition before it is
   * still consumed): its caller first finds room for it (see `nextLength`),
   * then decodes again without the option.
   */
  readonly holdAbove?: number
}

/**
 * Default `maxMessageSize`: 128 MiB.
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 134217728
/**
 * Default `maxDepth`.
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_MAX_DEPTH = 64
/**
 * Default `maxTypes`.
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_MAX_TYPES = 10000

const positive = (x: number | undefined, fallback: number): number =>
  x !== undefined && Number.isFinite(x) && x >= 1 ? Math.floor(x) : fallback

let pendingOf: (d: Decoder) => boolean

/**
 * Decode plans are shared between decoders that received the same type
 * definitions (every stream from a Go node of one version sends the same
 * ones): compiling them per stream cost each protocol 9/10 connection
 * several KiB and a tenth of its handshake's CPU. Keyed by the definitions'
 * bytes; at most `MAX_SHARED_PLANNERS` tables are kept, and streams beyond
 * that, or with definitions over `MAX_SHARED_SIGNATURE` characters, compile
 * their own, so a peer inventing types cannot grow the cache.
 */
const MAX_SHARED_PLANNERS = 256
const MAX_SHARED_SIGNATURE = 16 * 1024
const planners = new Map<string, Planner>()

const latin1 = (bytes: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!)
  return out
}

/** The planner for a table of remote types (a snapshot: later definitions get another). */
const sharedPlanner = (
  signature: string | undefined,
  wire: ReadonlyMap<number, WireDef>,
  maxDepth: number
): Planner => {
  const key = signature === undefined ? undefined : `${maxDepth}|${signature}`
  const cached = key === undefined ? undefined : planners.get(key)
  if (cached !== undefined) return cached
  // only a new planner needs its own copy of the table (every stream starts by looking one up)
  const table = new Map(wire)
  const planner = new Planner((id) => table.get(id) ?? builtinDefs.get(id), maxDepth)
  if (key !== undefined && planners.size < MAX_SHARED_PLANNERS) planners.set(key, planner)
  return planner
}

/**
 * One gob stream's decoder (Go's `gob.Decoder`), fed with bytes in arbitrary
 * chunks. Each `decode` consumes the type definitions that come first, then
 * one value message. It never throws: failures are returned, and after a
 * failure the decoder stays failed (the stream is desynchronised), returning
 * the same failure on every call and ignoring further input.
 *
 * Memory: pushed chunks are kept by reference (not copied) until consumed —
 * do not mutate a chunk after pushing it. A message's length is checked
 * against `maxMessageSize` before anything is buffered for it, and nothing is
 * allocated for a message until all of its bytes have arrived. A decoded
 * `bytes` value is either a copy, or a view of a message buffer that the
 * decoder assembled from several chunks and never reuses; it never aliases a
 * pushed chunk.
 *
 * @category decoding
 * @since 0.1.0
 */
export class Decoder {
  /** The effective `maxMessageSize`. */
  readonly maxMessageSize: number
  /** The effective `maxDepth`. */
  readonly maxDepth: number
  /** The effective `maxTypes`. */
  readonly maxTypes: number
  readonly #input = new Input()
  readonly #reader = new Reader()
  readonly #wire = new Map<number, WireDef>()
  #planner: Planner
  /** The type definitions received so far, as one string (equal strings, equal tables); undefined once too long to share. */
  #signature: string | undefined = ""
  /** Body length of the message whose length prefix has been consumed, or -1. */
  #pending = -1
  #started = 0
  #failure: DecodeFailure | undefined
  #lastId = 0
  #lastDesc: Desc | undefined
  #lastExact = false
  #lastPlan: Dec | undefined

  static {
    pendingOf = (d) => d.#pending >= 0
  }

  constructor(options?: DecoderOptions) {
    this.maxMessageSize = positive(options?.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE)
    this.maxDepth = positive(options?.maxDepth, DEFAULT_MAX_DEPTH)
    this.maxTypes = positive(options?.maxTypes, DEFAULT_MAX_TYPES)
    this.#planner = sharedPlanner("", this.#wire, this.maxDepth)
  }

  /**
   * Body length of the message whose length prefix has been read and whose
   * body has not fully arrived yet, or -1 (none, or failed).
   */
  get pending(): number {
    return this.#failure === undefined ? this.#pending : -1
  }

  /**
   * Body length of the next message: the pending one's, else read from its
   * length prefix without consuming it; -1 while not known (or failed).
   */
  get nextLength(): number {
    if (this.#failure !== undefined) return -1
    if (this.#pending >= 0) return this.#pending
    const input = this.#input
    if (input.size === 0) return -1
    const b = input.peek(0)
    if (b < 0x80) return b
    const n = 256 - b
    if (n > 8 || input.size < 1 + n) return -1
    let x = 0
    for (let i = 1; i <= n; i++) x = x * 256 + input.peek(i)
    return x
  }

  /** How many message length prefixes have been read: tells one pending message from the next. */
  get started(): number {
    return this.#started
  }

  /** Bytes pushed and not yet consumed (0 once failed). */
  get buffered(): number {
    return this.#input.size
  }

  /** Queues bytes. The chunk is kept by reference: do not mutate it afterwards. Ignored once failed. */
  push(chunk: Uint8Array): void {
    if (this.#failure === undefined) this.#input.push(chunk)
  }

  /**
   * Decodes the next value into `type`, first consuming any type definitions.
   * `NeedMore` when the next value message is not complete yet.
   */
  decode<A>(type: Type<A>, options?: DecodeOptions): DecodeResult<A> {
    if (this.#failure !== undefined) return this.#failure
    try {
      return this.#decode(desc(type), options?.exactName === true, options?.holdAbove) as DecodeResult<A>
    } catch (e) {
      const failure: DecodeFailure = Object.freeze({ _tag: "Failure", error: toGobError(e) })
      this.#failure = failure
      this.#input.clear()
      this.#reader.reset(EMPTY_BYTES, 0, 0, false)
      this.#lastPlan = undefined
      return failure
    }
  }

  #decode(d: Desc, exact: boolean, holdAbove: number | undefined): DecodeResult<unknown> {
    const input = this.#input
    const r = this.#reader
    for (;;) {
      if (this.#pending < 0) {
        const len = this.#readLength()
        if (len < 0) return needMore
        if (len === 0) fail("Malformed", "zero-length message")
        if (len > this.maxMessageSize) {
          fail("TooLarge", `message of ${len} bytes exceeds maxMessageSize ${this.maxMessageSize}`, len)
        }
        this.#pending = len
        this.#started++
      }
      if (holdAbove !== undefined && this.#pending > holdAbove) return needMore
      if (input.size < this.#pending) return needMore
      input.take(this.#pending, r)
      this.#pending = -1
      const id = readInt(r)
      if (id < 0) {
        this.#define(-id, r)
        if (r.pos !== r.end) fail("Malformed", `${r.end - r.pos} bytes of extra data after a type definition`)
        r.reset(EMPTY_BYTES, 0, 0, false)
        continue
      }
      if (id === 0 || id > MAX_TYPE_ID) fail("BadTypeId", `value message with invalid type id ${id}`)
      const value = this.#plan(id, d, exact)(r)
      if (r.pos !== r.end) fail("Malformed", `${r.end - r.pos} bytes of extra data after the value`)
      r.reset(EMPTY_BYTES, 0, 0, false)
      return { _tag: "Value", value }
    }
  }

  /** Reads and consumes a message length prefix; -1 if it has not fully arrived. */
  #readLength(): number {
    const input = this.#input
    if (input.size === 0) return -1
    const b = input.peek(0)
    if (b < 0x80) {
      input.skip(1)
      return b
    }
    const n = 256 - b
    if (n > 8) fail("Overflow", `message length varint announces ${n} bytes (at most 8 are allowed)`)
    if (input.size < 1 + n) return -1
    let x = 0
    for (let i = 1; i <= n; i++) x = x * 256 + input.peek(i)
    input.skip(1 + n)
    return x
  }

  #plan(id: number, d: Desc, exact: boolean): Dec {
    if (this.#lastPlan !== undefined && this.#lastId === id && this.#lastDesc === d && this.#lastExact === exact) {
      return this.#lastPlan
    }
    const plan = this.#planner.top(id, d, exact)
    this.#lastId = id
    this.#lastDesc = d
    this.#lastExact = exact
    this.#lastPlan = plan
    return plan
  }

  #define(id: number, r: Reader): void {
    if (id < FIRST_USER_ID) fail("DuplicateType", `type id ${id} is predefined and cannot be redefined`)
    if (id > MAX_TYPE_ID) fail("BadTypeId", `type definition for invalid type id ${id}`)
    if (this.#wire.has(id)) fail("DuplicateType", `type id ${id} is defined twice`)
    if (this.#wire.size >= this.maxTypes) fail("TooLarge", `more than maxTypes (${this.maxTypes}) type definitions`)
    const definition = r.buf.subarray(r.pos, r.end)
    const w = this.#planner.top(Id.wireType, WireTypeT as Desc, false)(r) as WireTypeValue
    this.#wire.set(id, toWireDef(w, id))
    const signature = this.#signature === undefined ? undefined : `${this.#signature}${id}:${latin1(definition)};`
    this.#signature = signature !== undefined && signature.length <= MAX_SHARED_SIGNATURE ? signature : undefined
    this.#planner = sharedPlanner(this.#signature, this.#wire, this.maxDepth)
    this.#lastPlan = undefined
  }
}

/**
 * Result of {@link decodeAll}.
 *
 * @category decoding
 * @since 0.1.0
 */
export type DecodeAllResult<A> =
  | { readonly _tag: "Value"; readonly value: ReadonlyArray<A> }
  | { readonly _tag: "Failure"; readonly error: GobError }

/**
 * Decodes every value of a complete gob stream into `type` (one fresh
 * {@link Decoder}). A stream that ends inside a message fails with `Truncated`.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeAll = <A>(
  type: Type<A>,
  bytes: Uint8Array,
  options?: DecoderOptions & DecodeOptions
): DecodeAllResult<A> => {
  const dec = new Decoder(options)
  dec.push(bytes)
  const values: Array<A> = []
  for (;;) {
    const r = dec.decode(type, options)
    if (r._tag === "Value") values.push(r.value)
    else if (r._tag === "Failure") return r
    else if (dec.buffered > 0 || pendingOf(dec)) {
      const error = new GobError("Truncated", `stream ends inside a message (${dec.buffered} bytes of it present)`)
      return { _tag: "Failure", error }
    } else return { _tag: "Value", value: values }
  }
}
