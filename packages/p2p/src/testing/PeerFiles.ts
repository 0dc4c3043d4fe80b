/**
 * Seeds and peer files for nodes under test: a fixed seed list instead of a
 * fetched one, a peer file kept in memory instead of on disk, and the peer
 * file's format (Go's `peers.json`) to read what a node saved or to write
 * what it should load. Pass the layers as `P2PLayer.Sources`.
 *
 * @example
 * ```ts
 * import { Config, Endpoint, P2PLayer } from "@catp2p/p2p"
 * import { MemoryTransport, PeerFiles } from "@catp2p/p2p/testing"
 * import { Effect, Layer, Result } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const memory = yield* MemoryTransport.makeNetwork()
 *   const peerFile = PeerFiles.makeStore()
 *   const config = Result.getOrThrow(Config.make({ bindIp: "10.0.0.1", listenPort: "8108" }))
 *   yield* Layer.build(
 *     P2PLayer.layerWith(config, MemoryTransport.layerHost(memory, "10.0.0.1"), {
 *       seeds: PeerFiles.seeds([Endpoint.unsafeMake("10.0.0.2", "8108")]),
 *       peerCache: PeerFiles.layerStore(peerFile)
 *     })
 *   )
 *   // after the node's scope closes, peerFile.saved holds what it wrote
 * })
 * ```
 *
 * @since 0.1.0
 * @module
 */
import type { Layer, Result } from "effect"
import * as PeerCache from "../internal/cat/PeerCache.ts"
import { Seeds } from "../internal/cat/Seeds.ts"
import type { Endpoint } from "../Endpoint.ts"
import type * as P2PLayer from "../P2PLayer.ts"

/**
 * A peer file as a node saves and loads it: its peers and its bans (IP or
 * `ip:port` → until, in ms).
 *
 * @category models
 * @since 0.1.0
 */
export interface PeerFile {
  readonly peers: ReadonlyArray<Endpoint>
  readonly bans: ReadonlyMap<string, number>
}

/**
 * An in-memory peer file: `saved` is the text of the last save and the
 * Clock time of that save (undefined until the first). Share one between
 * node restarts to keep the peers and bans; set `saved` to have a node load
 * a given file.
 *
 * @category models
 * @since 0.1.0
 */
export type Store = PeerCache.MemoryStore

/**
 * A new, empty in-memory peer file.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeStore = (): Store => PeerCache.PeerCache.makeMemoryStore()

/**
 * The peer-file source (`P2PLayer.Sources.peerCache`) of a node that loads
 * and saves `store`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerStore = (store: Store): NonNullable<P2PLayer.Sources["peerCache"]> =>
  PeerCache.PeerCache.layerMemoryStore(store)

/**
 * A peer-file source on a fresh in-memory file of its own.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerFresh: NonNullable<P2PLayer.Sources["peerCache"]> = PeerCache.PeerCache.layerMemory

/**
 * The seed source (`P2PLayer.Sources.seeds`) of a node whose seed list is
 * `endpoints`, with no fetch.
 *
 * @category layers
 * @since 0.1.0
 */
export const seeds = (endpoints: ReadonlyArray<Endpoint>): Layer.Layer<Seeds> => Seeds.layerStatic(endpoints)

/**
 * Encodes a peer file as a node writes it (Go's JSON).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode = (file: PeerFile): string => PeerCache.encode(file)

/**
 * Decodes a peer file as a node reads it at start (invalid entries skipped),
 * or fails if the text is no peer file.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (text: string): Result.Result<PeerFile, Error> => PeerCache.decode(text)
