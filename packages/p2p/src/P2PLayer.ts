/**
 * Composes every component of a node into one layer providing `Network`.
 * Building the layer starts the node (it listens at once); closing it stops
 * everything and releases the port and every socket.
 *
 * @example
 * ```ts
 * import { Config, Network, P2PLayer } from "@catp2p/p2p"
 * import { Effect, Result } from "effect"
 * const config = Result.getOrThrow(Config.make({ listenPort: "8110" }))
 * Effect.runFork(Network.run.pipe(Effect.provide(P2PLayer.layer(config))))
 * ```
 * @since 0.1.0
 */
import { Layer } from "effect"
import { Bans } from "./Bans.ts"
import type * as Config from "./Config.ts"
import { Controller } from "./Controller.ts"
import { Dialer } from "./Dialer.ts"
import { Listener } from "./Listener.ts"
import { Network } from "./Network.ts"
import { NodeConfig } from "./NodeConfig.ts"
import { PeerStore } from "./PeerStore.ts"
import { Router } from "./Router.ts"
import { Specials } from "./Specials.ts"
import { TcpTransport } from "./TcpTransport.ts"
import type { Transport, TransportError } from "./Transport.ts"

/**
 * A node on the given transport (TCP, or the in-memory one for simulations).
 *
 * @since 0.1.0
 */
export const layerWith = (
  config: Config.Config,
  transport: Layer.Layer<Transport>
): Layer.Layer<Network | Controller | PeerStore | Dialer | NodeConfig, TransportError> => {
  const base = Layer.mergeAll(
    NodeConfig.layer(config),
    PeerStore.layer,
    Bans.layer,
    Specials.layer(config.special),
    transport
  )
  const controller = Layer.provideMerge(Controller.layer, base)
  const parts = Layer.provideMerge(Layer.mergeAll(Router.layer, Dialer.layer, Listener.layer), controller)
  return Layer.provideMerge(Network.layer, parts)
}

/**
 * A node on TCP.
 *
 * @since 0.1.0
 */
export const layer = (config: Config.Config) => layerWith(config, TcpTransport.layer)
