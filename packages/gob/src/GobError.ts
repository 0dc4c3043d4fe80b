/**
 * Failures of the gob codec, as values.
 *
 * @since 0.1.0
 */

/**
 * Why decoding failed.
 *
 * - `TooLarge`: a message's byte count exceeds `maxMessageSize` (or the decoder's type table is full).
 * - `Truncated`: a message ends in the middle of a value, or a length inside a message claims more
 *   bytes than the message has left.
 * - `BadTypeId`: a value (or a type definition) refers to a type id that is not defined.
 * - `TypeMismatch`: the remote type cannot be decoded into the local descriptor.
 * - `Overflow`: a varint longer than 8 bytes, or an integer that does not fit the local type.
 * - `NegativeLength`: a length that Go would read as a negative `int` (>= 2^63).
 * - `TooDeep`: values or descriptors nested deeper than `maxDepth`.
 * - `DuplicateType`: a second definition of an already defined (or predefined) type id.
 * - `Unsupported`: interface values and GobEncoder/BinaryMarshaler/TextMarshaler types.
 * - `Malformed`: anything else that is not valid gob (zero-length message, extra data after a
 *   value, bad field number, array length mismatch, invalid type definition).
 *
 * @category errors
 * @since 0.1.0
 */
export type GobErrorReason =
  | "TooLarge"
  | "Truncated"
  | "BadTypeId"
  | "TypeMismatch"
  | "Overflow"
  | "NegativeLength"
  | "TooDeep"
  | "DuplicateType"
  | "Unsupported"
  | "Malformed"

/**
 * A gob decoding failure. Returned (never thrown) inside a `Failure` result.
 *
 * @category errors
 * @since 0.1.0
 */
export class GobError extends Error {
  /** Discriminator. */
  readonly _tag = "GobError" as const
  /** The failure class. */
  readonly reason: GobErrorReason
  /** For `TooLarge` on a message length: the byte count the peer claimed. */
  declare readonly size?: number

  constructor(reason: GobErrorReason, message: string, size?: number) {
    super(message)
    this.name = "GobError"
    this.reason = reason
    if (size !== undefined) this.size = size
  }
}

/**
 * Internal bail-out sentinel thrown inside the codec's hot loops and converted
 * to a {@link GobError} at the public API boundary. Not an `Error`: no stack
 * trace is captured.
 *
 * @internal
 */
export class Fail {
  readonly reason: GobErrorReason
  readonly message: string
  readonly size: number | undefined

  constructor(reason: GobErrorReason, message: string, size?: number) {
    this.reason = reason
    this.message = message
    this.size = size
  }
}

/**
 * Throws the internal sentinel.
 *
 * @internal
 */
export const fail = (reason: GobErrorReason, message: string, size?: number): never => {
  throw new Fail(reason, message, size)
}

/**
 * Converts anything caught at the API boundary into a {@link GobError}.
 *
 * @internal
 */
export const toGobError = (e: unknown): GobError => {
  if (e instanceof Fail) return new GobError(e.reason, e.message, e.size)
  if (e instanceof GobError) return e
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new GobError("TooDeep", "nesting exhausted the JavaScript call stack")
  }
  return new GobError("Malformed", `internal error: ${e instanceof Error ? e.message : String(e)}`)
}
