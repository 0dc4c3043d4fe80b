/**
 * catp2p: Factom's p2p gossip network layer on Effect.
 *
 * Start with `Config`, `P2PLayer` and `Network`; the other modules are the
 * components `P2PLayer` composes, exported for applications that assemble or
 * observe a node themselves, and the wire codecs under `Wire`.
 *
 * @since 0.1.0
 */
export * as Bans from "./Bans.ts"
export * as Config from "./Config.ts"
export * as ConfigText from "./ConfigText.ts"
export * as Controller from "./Controller.ts"
export * as Crc32 from "./Crc32.ts"
export * as Dialer from "./Dialer.ts"
export * as Endpoint from "./Endpoint.ts"
export * as Eviction from "./Eviction.ts"
export * as Gossip from "./Gossip.ts"
export * as Guard from "./Guard.ts"
export * as Handshake from "./Handshake.ts"
export * as HandshakeFlow from "./HandshakeFlow.ts"
export * as InputBudget from "./InputBudget.ts"
export * as Listener from "./Listener.ts"
export * as MemoryTransport from "./MemoryTransport.ts"
export * as Misbehaviour from "./Misbehaviour.ts"
export * as Metrics from "./Metrics.ts"
export * as Network from "./Network.ts"
export * as NetworkId from "./NetworkId.ts"
export * as NodeConfig from "./NodeConfig.ts"
export * as P2PLayer from "./P2PLayer.ts"
export * as Parcel from "./Parcel.ts"
export * as ParcelType from "./ParcelType.ts"
export * as Peer from "./Peer.ts"
export * as PeerCache from "./PeerCache.ts"
export * as PeerHash from "./PeerHash.ts"
export * as PeerStore from "./PeerStore.ts"
export * as ResendFilter from "./ResendFilter.ts"
export * as Router from "./Router.ts"
export * as Replenish from "./Replenish.ts"
export * as Round from "./Round.ts"
export * as Seeds from "./Seeds.ts"
export * as SendQueue from "./SendQueue.ts"
export * as Simulation from "./Simulation.ts"
export * as Specials from "./Specials.ts"
export * as TcpTransport from "./TcpTransport.ts"
export * as Telemetry from "./Telemetry.ts"
export * as Traffic from "./Traffic.ts"
export * as Transport from "./Transport.ts"
export * as Wire from "./protocol/index.ts"
