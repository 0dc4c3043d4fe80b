/**
 * A wire protocol: how one connection's handshake, parcels and peer shares
 * become bytes and back. One instance per connection, holding that stream's
 * state (gob type definitions, partial frames). Pure and synchronous: the
 * peer's reader and writer fibers drive it.
 *
 * @since 0.1.0
 * @module
 */
import type { Result } from "effect"
import type * as Endpoint from "../Endpoint.ts"
import type { Handshake } from "../Handshake.ts"
import type { Parcel } from "../Parcel.ts"
import type { Decoded } from "./Decoded.ts"
import type { MalformedFrame, ProtocolError } from "./ProtocolError.ts"

/**
 * The protocol versions catp2p speaks.
 *
 * @category models
 * @since 0.1.0
 */
export type Version = 9 | 10 | 11

/**
 * The largest message a peer may send: 128 MiB, as Go's `V11MaxParcelSize`
 * (applied to gob messages too).
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_MESSAGE_SIZE = 134_217_728

/**
 * The most bytes a connection may send before its handshake is complete:
 * 16 KiB (see `Negotiation`). A protocol 11 handshake frame claiming more is
 * refused as soon as its length prefix arrives.
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_HANDSHAKE_BYTES = 16_384

/**
 * In a write batch (`encodeParcels`), payloads of at least this many bytes
 * are chunks of their own, by reference, instead of being copied with the
 * rest of their frame.
 *
 * @category constants
 * @since 0.1.0
 */
export const BY_REFERENCE = 16_384

/**
 * The most endpoints a peer share is read with; a longer list is refused.
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_SHARE = 1_000

/**
 * @category models
 * @since 0.1.0
 */
export interface Protocol {
  readonly version: Version
  /** Appends received bytes. The caller must not modify `chunk` afterwards. */
  push(chunk: Uint8Array): void
  /** Bytes received and not yet decoded. */
  readonly buffered: number
  /**
   * Bytes the decoder holds or has been granted: `buffered`, or, while a
   * granted frame arrives, the frame's whole allocation and what follows it.
   * What the peer counts in the input budget.
   */
  readonly held: number
  /**
   * The memory the next frame will need, when its length is known, it is
   * larger than `minimum` and it has not been granted; else 0. The peer
   * reserves it in the input budget, then calls {@link grantFrame}, before
   * decoding or reading more of it.
   */
  frameWanted(minimum: number): number
  /**
   * The frame now arriving was granted its memory: a decoder that can
   * allocates it once here and copies the received bytes in as they arrive
   * (no concatenation at the end). `held` then counts the whole frame.
   */
  grantFrame(): void
  /** The bytes of our handshake (Go: `SendHandshake`). */
  encodeHandshake(handshake: Handshake): Uint8Array
  /** The peer's handshake, once its bytes are here (Go: `ReadHandshake`); not yet validated. */
  decodeHandshake(): Decoded<Handshake, ProtocolError>
  /** The bytes of one parcel (Go: `Send`). */
  encodeParcel(parcel: Parcel): Uint8Array
  /**
   * The bytes of several parcels in order, as chunks to write in order:
   * concatenated, what `encodeParcel` of each would give. Small frames are
   * copied together into few chunks; a large payload may be a chunk of its
   * own, by reference (so it must not be modified until written).
   */
  encodeParcels(parcels: ReadonlyArray<Parcel>): ReadonlyArray<Uint8Array>
  /**
   * The next parcel, checked like Go's `Receive` + `Parcel.Valid`. Its
   * address is `address` when given (a peer stamps its own hash, without a
   * copy of the parcel), else the wire's (protocol 9's target; empty otherwise).
   */
  decodeParcel(address?: string): Decoded<Parcel, ProtocolError>
  /** A Peer-Response payload listing `endpoints` (Go: `MakePeerShare`). */
  makePeerShare(endpoints: ReadonlyArray<Endpoint.Endpoint>): Uint8Array
  /** The valid endpoints of a Peer-Response payload (Go: `ParsePeerShare`); invalid ones are left out. */
  parsePeerShare(payload: Uint8Array): Result.Result<ReadonlyArray<Endpoint.Endpoint>, MalformedFrame>
}

/**
 * The 4 bytes that open a protocol 11 stream: ASCII `pbuf`.
 *
 * @category constants
 * @since 0.1.0
 */
export const V11_SIGNATURE: Uint8Array = new Uint8Array([0x70, 0x62, 0x75, 0x66])

/**
 * Which family the first bytes of a connection belong to (Go peeks 4 bytes):
 * `"v11"` for the `pbuf` signature, `"gob"` for anything else (protocols 9
 * and 10 both open with a gob-encoded V9 handshake), `"need-more"` before 4
 * bytes have arrived.
 *
 * @category utils
 * @since 0.1.0
 */
export const detect = (first: Uint8Array): "v11" | "gob" | "need-more" => {
  if (first.length < 4) {
    for (let i = 0; i < first.length; i++) if (first[i] !== V11_SIGNATURE[i]) return "gob"
    return "need-more"
  }
  return first[0] === 0x70 && first[1] === 0x62 && first[2] === 0x75 && first[3] === 0x66 ? "v11" : "gob"
}
