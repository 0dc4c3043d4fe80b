/**
 * The gob side of protocols 9 and 10: the Go message structs as gob
 * descriptors, and one connection's gob stream (an encoder and a decoder
 * that live as long as the connection, because gob sends each type
 * definition once per stream).
 *
 * @since 0.1.0
 * @module
 */
import * as Gob from "@catp2p/gob"
import { MAX_MESSAGE_SIZE } from "./Protocol.ts"
import { FrameTooLarge, MalformedFrame, type ProtocolError } from "./ProtocolError.ts"

/**
 * Go's `V9Header`.
 *
 * @category models
 * @since 0.1.0
 */
export const V9Header = Gob.struct("V9Header", {
  Network: Gob.uint,
  Version: Gob.uint,
  Type: Gob.uint,
  Length: Gob.uint,
  TargetPeer: Gob.string,
  Crc32: Gob.uint,
  PartNo: Gob.uint,
  PartsTotal: Gob.uint,
  NodeID: Gob.uint64,
  PeerAddress: Gob.string,
  PeerPort: Gob.string,
  AppHash: Gob.string,
  AppType: Gob.string
})

/**
 * Go's `V9Msg`: the protocol 9 message, and the handshake of protocols 9 and 10.
 *
 * @category models
 * @since 0.1.0
 */
export const V9Msg = Gob.struct("V9Msg", { Header: V9Header, Payload: Gob.bytes })

/**
 * Go's `V10Msg`: the protocol 10 message.
 *
 * @category models
 * @since 0.1.0
 */
export const V10Msg = Gob.struct("V10Msg", { Type: Gob.uint, Payload: Gob.bytes })

/**
 * @category models
 * @since 0.1.0
 */
export type V9Msg = Gob.TypeOf<typeof V9Msg>
/**
 * @category models
 * @since 0.1.0
 */
export type V10Msg = Gob.TypeOf<typeof V10Msg>

/**
 * Type ids shared by every stream, assigned in the order a Go process
 * assigns them (V9Msg 65, V9Header 66, V10Msg 67), so our streams are
 * byte-identical to Go's and an encoder may follow another on one connection
 * without reusing an id.
 *
 * @category constants
 * @since 0.1.0
 */
export const typeIds: Gob.TypeIds = (() => {
  const ids = new Gob.TypeIds(65)
  ids.register(V9Msg) // 65, and V9Header 66 with it
  ids.register(V10Msg) // 67
  return ids
})()

/**
 * Most type definitions one connection's gob stream accepts. A Go peer sends
 * three (V9Msg, V9Header, V10Msg); each definition is kept for the stream's
 * life, so the gob default (10,000) would let a peer park megabytes of type
 * tables on every connection.
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_TYPES = 32

/**
 * One connection's gob stream.
 *
 * @category codecs
 * @since 0.1.0
 */
export class GobStream {
  readonly encoder: Gob.Encoder
  readonly decoder: Gob.Decoder
  readonly maxMessageSize: number

  constructor(options?: { readonly maxMessageSize?: number; readonly encoder?: Gob.Encoder }) {
    this.maxMessageSize = options?.maxMessageSize ?? MAX_MESSAGE_SIZE
    this.encoder = options?.encoder ?? new Gob.Encoder({ typeIds })
    this.decoder = new Gob.Decoder({ maxMessageSize: this.maxMessageSize, maxTypes: MAX_TYPES })
  }

  /** The `decoder.started` count once the granted message's prefix is read, or -1. */
  private grantedFor = -1

  /**
   * Bytes the decoder holds, as `Protocol.held`. A gob message is kept as
   * its chunks, then assembled by one copy once whole: while a granted
   * message arrives it counts twice its body (and any bytes after it).
   */
  get held(): number {
    const d = this.decoder
    if (!this.granted()) return d.buffered
    const next = d.nextLength
    return Math.max(2 * next, d.buffered + next)
  }

  /** Messages longer than this wait for a grant before they are decoded (set by `frameWanted`). */
  private grantMin: number | undefined = undefined

  /**
   * The options the protocol decodes with: a message over the grant minimum
   * that has not been granted is not consumed (type definitions before it are).
   */
  decodeOptions(): { readonly exactName: true; readonly holdAbove?: number } {
    return this.grantMin === undefined || this.granted()
      ? { exactName: true }
      : { exactName: true, holdAbove: this.grantMin }
  }

  /** As `Protocol.frameWanted`: twice the body of the next message over `minimum` (its chunks and its one copy). */
  frameWanted(minimum: number): number {
    this.grantMin = minimum
    const next = this.decoder.nextLength
    if (next <= minimum || next > this.maxMessageSize || this.granted()) return 0
    return 2 * next
  }

  /** As `Protocol.grantFrame` (the gob decoder keeps its chunks; nothing is allocated here). */
  grantFrame(): void {
    const d = this.decoder
    if (d.nextLength >= 0) this.grantedFor = d.pending >= 0 ? d.started : d.started + 1
  }

  private granted(): boolean {
    const d = this.decoder
    if (d.nextLength < 0) return false
    return this.grantedFor === (d.pending >= 0 ? d.started : d.started + 1)
  }
}

/**
 * A gob failure as a protocol error.
 *
 * @category errors
 * @since 0.1.0
 */
export const fromGobError = (error: Gob.GobError, limit: number): ProtocolError =>
  error.reason === "TooLarge" && error.size !== undefined
    ? new FrameTooLarge({ size: error.size, limit })
    : new MalformedFrame({ message: `gob: ${error.message}` })
