/**
 * `@catp2p/p2p/testing`: run whole networks in one process, deterministically.
 *
 * {@link MemoryTransport} is a `Transport` between nodes of one process, each
 * on a host address of its own, with no sockets; under `TestClock` a network
 * of nodes runs in simulated time. {@link Simulation} builds a CAT network of
 * thousands of such nodes from one seed and reports how it converges.
 * {@link PeerFiles} gives a node fixed seeds and a peer file in memory,
 * {@link RawPeer} lets a test play a peer byte by byte after a real
 * handshake, and {@link Probe} reads a node's statistics and budgets.
 *
 * @example
 * ```ts
 * import { Config, Endpoint, P2PLayer } from "@catp2p/p2p"
 * import { MemoryTransport } from "@catp2p/p2p/testing"
 * import { Effect, Layer, Result } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const memory = yield* MemoryTransport.makeNetwork()
 *   const config = Result.getOrThrow(Config.make({ bindIp: "10.0.0.1", listenPort: "8108" }))
 *   yield* Layer.build(P2PLayer.layerWith(config, MemoryTransport.layerHost(memory, "10.0.0.1")))
 * })
 * ```
 *
 * @since 0.1.0
 * @module @catp2p/p2p/testing
 */
// first: refuses an old Node.js in one line before any dependency is evaluated
import "../internal/NodeVersion.ts"
export * as MemoryTransport from "./MemoryTransport.ts"
export * as Simulation from "./Simulation.ts"
export * as PeerFiles from "./PeerFiles.ts"
export * as Probe from "./Probe.ts"
export * as RawPeer from "./RawPeer.ts"
