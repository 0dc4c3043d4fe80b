/**
 * catp2p: Factom's p2p gossip network layer on Effect.
 *
 * Start with {@link Config}, {@link P2PLayer} and {@link Network}: a node is a
 * layer built from a checked configuration, and the `Network` service is how
 * an application sends, receives and inspects peers. {@link Gossip} floods
 * application messages over it; {@link Metrics} and {@link Telemetry} export
 * Go's Prometheus instruments and OpenTelemetry spans; {@link Transport}
 * plugs in another transport ({@link TcpTransport} is the default); and
 * {@link Wire} holds the protocol 9/10/11 codecs for tools that read
 * captured traffic. The in-memory transport and the whole-network simulator
 * are in `@catp2p/p2p/testing`.
 *
 * @example
 * ```ts
 * import { Config, Network, NetworkId, P2PLayer } from "@catp2p/p2p"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect, Result } from "effect"
 *
 * const config = Result.getOrThrow(Config.make({ network: NetworkId.fromName("myNetwork"), listenPort: "8110" }))
 * Network.run.pipe(Effect.provide(P2PLayer.layer(config)), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 * @module @catp2p/p2p
 */
// first: refuses an old Node.js in one line before any dependency is evaluated
import "./internal/NodeVersion.ts"
export * as Config from "./Config.ts"
export * as Endpoint from "./Endpoint.ts"
export * as Gossip from "./Gossip.ts"
export * as Handshake from "./Handshake.ts"
export * as Metrics from "./Metrics.ts"
export * as Misbehaviour from "./Misbehaviour.ts"
export * as Network from "./Network.ts"
export * as NetworkId from "./NetworkId.ts"
export * as P2PLayer from "./P2PLayer.ts"
export * as Parcel from "./Parcel.ts"
export * as ParcelType from "./ParcelType.ts"
export * as PeerHash from "./PeerHash.ts"
export * as PeerInfo from "./PeerInfo.ts"
export * as TcpTransport from "./TcpTransport.ts"
export * as Telemetry from "./Telemetry.ts"
export * as Transport from "./Transport.ts"
export * as Wire from "./wire/index.ts"
