/**
 * The running node's settings: the validated `Config`, what the handshake
 * announces (node id resolved from the name when 0, as Go's `NewNetwork`
 * does), and this instance's loopback nonce (random, non-zero).
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Random } from "effect"
import * as Config from "../../Config.ts"
import type * as Negotiation from "../../wire/Negotiation.ts"

/**
 * @since 0.1.0
 */
export interface NodeSettings {
  readonly config: Config.Config
  /**
   * What the handshake announces, with the configured `listenPort`. The
   * Listener announces the port it actually bound (see `Listener.negotiation`,
   * which the Dialer asks), also when the configured one is 0.
   */
  readonly negotiation: Negotiation.Settings
  /** Our loopback nonce: a dialed node replying with it is ourselves. */
  readonly instanceId: bigint
  /**
   * How often the node's one tick (`Tick`) checks deadlines, pings idle
   * peers and updates rates (1 s, as Go; simulations of thousands of nodes
   * may use more).
   */
  readonly tick: Duration.Duration
}

/**
 * @since 0.1.0
 */
export class NodeConfig extends Context.Service<NodeConfig, NodeSettings>()("@catp2p/p2p/NodeConfig") {
  /** From a configuration already checked (see `Config.make` / `Config.decode`). */
  static readonly layer = (
    config: Config.Config,
    options?: { readonly tick?: Duration.Input }
  ): Layer.Layer<NodeConfig> =>
    Layer.effect(
      NodeConfig,
      Effect.gen(function* () {
        const hi = yield* Random.nextIntBetween(0, 0xffffffff)
        const lo = yield* Random.nextIntBetween(1, 0xffffffff)
        return {
          config,
          tick: Duration.fromInputUnsafe(options?.tick ?? "1 second"),
          instanceId: (BigInt(hi) << 32n) | BigInt(lo),
          negotiation: {
            network: config.network,
            protocolVersion: config.protocolVersion,
            protocolVersionMinimum: config.protocolVersionMinimum,
            nodeId: Config.nodeIdOf(config),
            listenPort: config.listenPort
          }
        }
      })
    )
}
