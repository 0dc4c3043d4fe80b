/**
 * The catp2p nodes the benchmarks run: loopback only, any free port, no
 * seeds, no listen rate limit (every connection comes from 127.0.0.1), and
 * whatever limits a scenario raises; otherwise Go's defaults.
 *
 * @since 0.1.0
 */
import { Config, Gossip, Network, NetworkId, P2PLayer, type Wire } from "@catp2p/p2p"
import { Context, Duration, Effect, Layer, type Scope } from "effect"
import { BenchError } from "./Child.ts"

/**
 * The network every benchmark node and raw dialer uses.
 *
 * @since 0.1.0
 */
export const NETWORK: NetworkId.NetworkId = NetworkId.fromName("catp2p-bench")

/**
 * A protocol version as given on the command line, checked.
 *
 * @since 0.1.0
 */
export const protocolOf = (n: number): Wire.Protocol.Version => (n === 9 || n === 10 ? n : 11)

/**
 * A benchmark node's configuration: `overrides` on top of the loopback settings.
 *
 * @since 0.1.0
 */
export const config = (
  protocol: Wire.Protocol.Version,
  name: string,
  overrides: Partial<Config.Config> = {}
): Effect.Effect<Config.Config, BenchError> =>
  Effect.fromResult(
    Config.make({
      network: NETWORK,
      nodeName: name,
      bindIp: "127.0.0.1",
      listenPort: "0",
      listenLimit: Duration.zero,
      seedUrl: "",
      protocolVersion: protocol,
      protocolVersionMinimum: 9,
      ...overrides
    })
  ).pipe(Effect.mapError((e) => new BenchError({ message: `config: ${e.field} ${e.message}` })))

/**
 * Only the settings this version of `Config` knows (the admission limits
 * are recent): the harness keeps running when a setting is renamed.
 */
const known = (settings: Record<string, number>): Partial<Config.Config> =>
  Object.fromEntries(Object.entries(settings).filter(([key]) => key in Config.defaults)) as Partial<Config.Config>

/**
 * Limits raised for a node that takes many incoming peers, all from
 * 127.0.0.1 and many handshaking at once.
 *
 * @since 0.1.0
 */
export const MANY_PEERS: Partial<Config.Config> = known({
  maxPeers: 100_000,
  maxIncoming: 100_000,
  maxPendingHandshakes: 4096,
  maxPendingHandshakesPerIp: 4096
})

/**
 * Starts a node in the current scope and returns its `Network`.
 *
 * @since 0.1.0
 */
export const start = (cfg: Config.Config): Effect.Effect<Network.NetworkService, BenchError, Scope.Scope> =>
  Layer.build(P2PLayer.layer(cfg)).pipe(
    Effect.map((context) => Context.get(context, Network.Network)),
    Effect.mapError((e) => new BenchError({ message: `node did not start: ${e.message}` }))
  )

/**
 * Starts a node with the Gossip layer in the current scope.
 *
 * @since 0.1.0
 */
export const startGossip = (
  cfg: Config.Config
): Effect.Effect<
  { readonly network: Network.NetworkService; readonly gossip: Gossip.GossipService },
  BenchError,
  Scope.Scope
> =>
  Layer.build(Layer.provideMerge(Gossip.Gossip.layer, P2PLayer.layer(cfg))).pipe(
    Effect.map((context) => ({
      network: Context.get(context, Network.Network),
      gossip: Context.get(context, Gossip.Gossip)
    })),
    Effect.mapError((e) => new BenchError({ message: `node did not start: ${e.message}` }))
  )
