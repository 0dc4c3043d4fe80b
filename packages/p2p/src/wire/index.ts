/**
 * The wire protocols 9, 10 and 11 and the handshake negotiation.
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
