/**
 * The wire protocols 9, 10 and 11 and the handshake negotiation, for tools
 * that read or write captured traffic: {@link Codec} holds them as Schemas
 * from bytes to parcels and handshakes; {@link Protocol} is one connection's
 * incremental codec ({@link V9}, {@link V10}, {@link V11}); {@link Negotiation}
 * is the handshake's version rules as Go applies them.
 *
 * @example
 * ```ts
 * import { Parcel, Wire } from "@catp2p/p2p"
 * import { Schema } from "effect"
 *
 * // the parcels of a protocol 11 stream (after the handshake), and back
 * const codec = Wire.Codec.ParcelStream(11)
 * const bytes = Schema.encodeSync(codec)([Parcel.make(Parcel.Broadcast, new Uint8Array([1, 2, 3]))])
 * const parcels = Schema.decodeSync(codec)(bytes)
 * // a connection's first bytes tell protocol 11 ("pbuf") from the gob ones (9, 10)
 * const family = Wire.Protocol.detect(Wire.Protocol.V11_SIGNATURE) // "v11"
 * ```
 *
 * @since 0.1.0
 * @module
 */
export * as ByteQueue from "./ByteQueue.ts"
export * as Codec from "./Codec.ts"
export * as Crc32 from "./Crc32.ts"
export * as Decoded from "./Decoded.ts"
export * as GobStream from "./GobStream.ts"
export * as Negotiation from "./Negotiation.ts"
export * as Protocol from "./Protocol.ts"
export * as ProtocolError from "./ProtocolError.ts"
export * as V9 from "./V9.ts"
export * as V10 from "./V10.ts"
export * as V11 from "./V11.ts"
