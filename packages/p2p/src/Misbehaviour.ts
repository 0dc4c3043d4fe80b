/**
 * Why a peer was judged hostile or broken, as data: carried by `PeerClosed`,
 * counted per reason by `Guard`, and deciding whether the peer's address is
 * discouraged.
 *
 * - `MalformedFrame` (bytes that do not decode, a bad checksum, a type ≥ 10,
 *   an empty payload, the wrong gob type on the stream, …) and
 *   `FrameTooLarge` (a length prefix above 128 MiB): sent after the handshake;
 * - `MalformedHandshake`: a handshake that cannot be read or breaks the
 *   rules (wrong type, more than 16 KiB before it completed, bad port, …);
 * - `StalledFrame`: a frame started but delivered slower than
 *   `frameProgressRate` over `frameProgressWindow`.
 *
 * The first three are proof of invalid data and discourage the address for
 * `discourageTime`; a stall may be a bad link, so it only closes the peer.
 * A wrong network or a too-old version is an honest mismatch, not
 * misbehaviour.
 *
 * @since 0.1.0
 * @module
 */
import { Schema } from "effect"
import { FrameTooLarge, MalformedFrame } from "./wire/ProtocolError.ts"

export {
  /** @since 0.1.0 */
  FrameTooLarge,
  /** @since 0.1.0 */
  MalformedFrame
}

/**
 * A handshake that could not be read or broke the rules (the `Malformed`
 * reason of a `HandshakeError`).
 *
 * @category errors
 * @since 0.1.0
 */
export class MalformedHandshake extends Schema.TaggedError<MalformedHandshake>()("MalformedHandshake", {
  message: Schema.String
}) {}

/**
 * A frame that stopped making progress: `received` bytes arrived in the last
 * `windowMs` while a frame was incomplete, below `rate` bytes per second.
 *
 * @category errors
 * @since 0.1.0
 */
export class StalledFrame extends Schema.TaggedError<StalledFrame>()("StalledFrame", {
  received: Schema.Number,
  windowMs: Schema.Number,
  rate: Schema.Number
}) {
  override get message(): string {
    return `frame stalled: ${this.received} bytes in ${this.windowMs} ms (at least ${this.rate} bytes/s required)`
  }
}

/**
 * Every kind of misbehaviour.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Misbehaviour = Schema.Union([MalformedFrame, FrameTooLarge, MalformedHandshake, StalledFrame])

/**
 * @category models
 * @since 0.1.0
 */
export type Misbehaviour = typeof Misbehaviour.Type

/**
 * The tag of each kind of misbehaviour (the key of the counters).
 *
 * @category models
 * @since 0.1.0
 */
export type Kind = Misbehaviour["_tag"]

/**
 * Every kind, for counters that list each one.
 *
 * @category constants
 * @since 0.1.0
 */
export const kinds: ReadonlyArray<Kind> = ["MalformedFrame", "FrameTooLarge", "MalformedHandshake", "StalledFrame"]

/**
 * Whether this misbehaviour discourages the peer's address: invalid data
 * does, a stall (possibly a bad link) does not.
 *
 * @category guards
 * @since 0.1.0
 */
export const discourages = (m: Misbehaviour): boolean => m._tag !== "StalledFrame"
