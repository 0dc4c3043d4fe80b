/**
 * Composes every component of a node into one layer providing `Network`.
 * Building the layer starts the node (it listens at once, then CAT peering
 * dials seeds and peers by itself); closing it stops everything, writes the
 * peer file, and releases the port and every socket.
 *
 * @example
 * ```ts
 * import { Config, Network, P2PLayer } from "@catp2p/p2p"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect, Result } from "effect"
 * const config = Result.getOrThrow(Config.make({ listenPort: "8110", seedUrl: "https://example.org/seeds.txt" }))
 * Network.run.pipe(Effect.provide(P2PLayer.layer(config)), NodeRuntime.runMain)
 * ```
 * @since 0.1.0
 * @module
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Context, type Duration, Effect, Layer } from "effect"
import { Bans } from "./internal/guard/Bans.ts"
import type * as Config from "./Config.ts"
import { Controller } from "./internal/node/Controller.ts"
import { Dialer } from "./internal/node/Dialer.ts"
import { Guard } from "./internal/guard/Guard.ts"
import { Inbox } from "./internal/node/Inbox.ts"
import { NodeStats } from "./internal/stats/NodeStats.ts"
import { Listener } from "./internal/node/Listener.ts"
import { Metrics, type Options as MetricsOptions } from "./Metrics.ts"
import { Network } from "./Network.ts"
import * as NodeContext from "./internal/NodeContext.ts"
import { NodeConfig } from "./internal/node/NodeConfig.ts"
import { OperatorLog } from "./internal/log/OperatorLog.ts"
import { PeerCache } from "./internal/cat/PeerCache.ts"
import { PeerStore } from "./internal/node/PeerStore.ts"
import { Replenish } from "./internal/cat/Replenish.ts"
import { Round } from "./internal/cat/Round.ts"
import { Router } from "./internal/node/Router.ts"
import { Seeds } from "./internal/cat/Seeds.ts"
import { Specials } from "./internal/node/Specials.ts"
import { Tick } from "./internal/node/Tick.ts"
import { TcpTransport } from "./TcpTransport.ts"
import type { Transport, TransportError } from "./Transport.ts"

/**
 * Replaceable sources: where seeds come from and where the peer file lives
 * (defaults: `seedUrl` over HTTP or from a file, `peerCacheFile` on disk).
 *
 * @category models
 * @since 0.1.0
 */
export interface Sources {
  readonly seeds?: Layer.Layer<Seeds, never, NodeConfig>
  readonly peerCache?: Layer.Layer<PeerCache, never, NodeConfig>
  /** Period of the deadline/ping/rate check (default 1 s). */
  readonly tick?: Duration.Input
  /**
   * Provide the node's `Metrics` (off by default: it samples the node once a
   * second); it registers the Prometheus instruments if the config's
   * `enablePrometheus` is true (Go's default), nothing otherwise.
   */
  readonly metrics?: boolean | MetricsOptions
}

/**
 * What a running node gives the application: its `Network` (and, with
 * `metrics` on, its `Metrics`). The components it is made of stay inside.
 *
 * @category models
 * @since 0.1.0
 */
export type Services = Network

/**
 * Sources that turn the node's `Metrics` on.
 *
 * @category models
 * @since 0.1.0
 */
export type WithMetrics = Sources & { readonly metrics: true | MetricsOptions }

/**
 * A node on the given transport (TCP, or the in-memory one for simulations);
 * with `metrics` on, it provides its `Metrics` too.
 *
 * @category layers
 * @since 0.1.0
 */
export function layerWith(
  config: Config.Config,
  transport: Layer.Layer<Transport>,
  sources: WithMetrics
): Layer.Layer<Services | Metrics, TransportError>
export function layerWith(
  config: Config.Config,
  transport: Layer.Layer<Transport>,
  sources?: Sources
): Layer.Layer<Services, TransportError>
export function layerWith(
  config: Config.Config,
  transport: Layer.Layer<Transport>,
  sources: Sources = {}
): Layer.Layer<Services, TransportError> {
  const seeds = sources.seeds ?? Seeds.layer.pipe(Layer.provide([NodeHttpClient.layerUndici, NodeFileSystem.layer]))
  const peerCache = sources.peerCache ?? PeerCache.layer.pipe(Layer.provide(NodeFileSystem.layer))
  const base = Layer.mergeAll(
    NodeConfig.layer(config, sources.tick === undefined ? undefined : { tick: sources.tick }),
    PeerStore.layer,
    Bans.layer,
    Specials.layer(config.special),
    NodeStats.layer,
    transport
  )
  const withSources = Layer.provideMerge(Layer.mergeAll(seeds, peerCache, Guard.layer, Tick.layer), base)
  const inbox = Layer.provideMerge(Layer.mergeAll(Inbox.layer, OperatorLog.layer), withSources)
  const controller = Layer.provideMerge(Controller.layer, inbox)
  // the Dialer announces the port the Listener bound
  const listener = Layer.provideMerge(Listener.layer, controller)
  const parts = Layer.provideMerge(Layer.mergeAll(Router.layer, Dialer.layer, Round.layer), listener)
  const cat = Layer.provideMerge(Replenish.layer, parts)
  // the whole node is remembered under its Network (for the testing entry's
  // Probe and Simulation); applications see Network (and Metrics) only
  const node = Layer.provideMerge(Network.layer, cat).pipe(
    Layer.tap((context) => Effect.sync(() => NodeContext.remember(Context.get(context, Network), context)))
  )
  if (sources.metrics === undefined || sources.metrics === false) return node
  return Layer.provideMerge(Metrics.layer(sources.metrics === true ? {} : sources.metrics), node)
}

/**
 * A node on TCP; with `metrics` on, it provides its `Metrics` too.
 *
 * @category layers
 * @since 0.1.0
 */
export function layer(config: Config.Config, sources: WithMetrics): Layer.Layer<Services | Metrics, TransportError>
export function layer(config: Config.Config, sources?: Sources): Layer.Layer<Services, TransportError>
export function layer(config: Config.Config, sources: Sources = {}): Layer.Layer<Services, TransportError> {
  return layerWith(config, TcpTransport.layer, sources)
}
