/**
 * catp2p: Factom's p2p gossip network layer on Effect.
 *
 * @since 0.1.0
 */
export * as Config from "./Config.ts"
export * as ConfigText from "./ConfigText.ts"
export * as Crc32 from "./Crc32.ts"
export * as Endpoint from "./Endpoint.ts"
export * as Handshake from "./Handshake.ts"
export * as NetworkId from "./NetworkId.ts"
export * as Parcel from "./Parcel.ts"
export * as ParcelType from "./ParcelType.ts"
export * as PeerHash from "./PeerHash.ts"
export * as Wire from "./protocol/index.ts"
