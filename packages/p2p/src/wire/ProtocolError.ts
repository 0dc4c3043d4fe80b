/**
 * What can go wrong reading a peer's bytes after the handshake. Each closes
 * that one peer, never the node.
 *
 * @since 0.1.0
 * @module
 */
import { Schema } from "effect"

/**
 * A frame announced a size above the limit. Raised as soon as the length
 * prefix is read, before anything of that size is allocated.
 *
 * @category errors
 * @since 0.1.0
 */
export class FrameTooLarge extends Schema.TaggedError<FrameTooLarge>()("FrameTooLarge", {
  size: Schema.Number,
  limit: Schema.Number
}) {
  override get message(): string {
    return `frame of ${this.size} bytes exceeds the limit of ${this.limit} bytes`
  }
}

/**
 * Bytes that do not decode as the protocol's messages, or a message that
 * breaks its protocol's rules (bad checksum, wrong version, unknown type, …).
 *
 * @category errors
 * @since 0.1.0
 */
export class MalformedFrame extends Schema.TaggedError<MalformedFrame>()("MalformedFrame", {
  message: Schema.String
}) {}

/**
 * @category errors
 * @since 0.1.0
 */
export type ProtocolError = FrameTooLarge | MalformedFrame
