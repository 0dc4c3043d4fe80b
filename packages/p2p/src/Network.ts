/**
 * The public face of a node (Go: `Network`): send parcels, receive the
 * application's parcels, inspect and steer the peers.
 *
 * @example
 * ```ts
 * import { Config, Network, P2PLayer, Parcel } from "@catp2p/p2p"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect, Result, Stream } from "effect"
 *
 * const config = Result.getOrThrow(Config.make({ listenPort: "8110" }))
 * const program = Effect.gen(function* () {
 *   const network = yield* Network.Network
 *   yield* network.send(Parcel.make(Parcel.Broadcast, new TextEncoder().encode("hello")))
 *   yield* Stream.runForEach(network.messages, (p) => Effect.log(`${p.address}: ${p.payload.length} bytes`))
 * })
 * program.pipe(Effect.provide(P2PLayer.layer(config)), NodeRuntime.runMain)
 * ```
 * @since 0.1.0
 * @module
 */
import { Clock, Context, Duration, Effect, Layer, Result, Schema, type Scope, type Stream } from "effect"
import { Bans } from "./internal/guard/Bans.ts"
import type { ConfigError } from "./Config.ts"
import { Dialer, type DialError } from "./internal/node/Dialer.ts"
import { flush } from "./internal/node/Flush.ts"
import type * as Endpoint from "./Endpoint.ts"
import type { HandshakeError } from "./Handshake.ts"
import { Inbox, type MessagesTaken } from "./internal/node/Inbox.ts"
import { Listener } from "./internal/node/Listener.ts"
import { NodeStats } from "./internal/stats/NodeStats.ts"
import { NodeConfig } from "./internal/node/NodeConfig.ts"
import type { Parcel } from "./Parcel.ts"
import { view } from "./internal/peer/PeerView.ts"
import type { PeerInfo, PeerMetrics } from "./PeerInfo.ts"
import { PeerStore } from "./internal/node/PeerStore.ts"
import { Router } from "./internal/node/Router.ts"
import * as Specials from "./internal/node/Specials.ts"
import type { Address } from "./Transport.ts"

export {
  /**
   * A second reader of `Network.messages` while the first still reads (see `NetworkService.messages`).
   *
   * @since 0.1.0
   */
  MessagesTaken
} from "./internal/node/Inbox.ts"

/**
 * A send after the node began to stop: the parcel was not queued. Sends
 * made before are still written, for up to `shutdownFlushTimeout`.
 *
 * @category errors
 * @since 0.1.0
 */
export class NodeClosed extends Schema.TaggedError<NodeClosed>()("NodeClosed", {
  message: Schema.String
}) {}

/**
 * A summary of the node (Go: `Info`): rates are per second, summed over
 * peers. Read from the node's statistics snapshot, as `Metrics` is.
 *
 * @category models
 * @since 0.1.0
 */
export interface Info {
  readonly peers: number
  /** Messages/s received. */
  readonly receiving: number
  /** Messages/s sent. */
  readonly sending: number
  /** Bytes/s received. */
  readonly download: number
  /** Bytes/s sent. */
  readonly upload: number
  /**
   * Parcels the node dropped since it started: by full or closed peer send
   * queues (of connected and of departed peers) and by the application
   * queue. Never decreases.
   */
  readonly dropped: number
}

/**
 * Receives the metrics of every connected peer, by hash, about once a second
 * (Go: the function given to `SetMetricsHook`).
 *
 * @category models
 * @since 0.1.0
 */
export type MetricsHook = (metrics: ReadonlyMap<string, PeerMetrics>) => Effect.Effect<void>

/**
 * How often the metrics hook is called.
 *
 * @category constants
 * @since 0.1.0
 */
export const METRICS_HOOK_INTERVAL: Duration.Duration = Duration.seconds(1)

/**
 * @category services
 * @since 0.1.0
 */
export interface NetworkService {
  /** Where the node listens. */
  readonly address: Address
  /** Our peer-facing identity: the node id and the listen port we announce. */
  readonly nodeId: number
  /**
   * Routes an application parcel without waiting; drops under overload are
   * counted. Returns the number of peers it was queued for. The payload is
   * not copied (large payloads are written to the sockets by reference):
   * do not modify it afterwards. Once the node stops (its scope closes),
   * fails with {@link NodeClosed}; what was sent before is still written,
   * for up to `shutdownFlushTimeout`.
   */
  readonly send: (parcel: Parcel) => Effect.Effect<number, NodeClosed>
  /** Like `send`, but waits for room in the targets' queues instead of dropping. */
  readonly sendBlocking: (parcel: Parcel) => Effect.Effect<number, NodeClosed>
  /**
   * Application parcels from the network; `address` is the sender's peer
   * hash. The node's one queue of `channelCapacity`, with **one reader at a
   * time**: while a stream of it runs, another fails at once with
   * {@link MessagesTaken} (so two parts of an application cannot each get
   * a silent random share; fan out from the one reader, as `Gossip` does).
   * When the reader falls behind, peers are slowed down (their readers wait
   * for room) rather than their parcels dropped; only an application that
   * takes nothing for a whole node tick (1 s) loses the older half of the
   * queue (counted in `dropped`).
   */
  readonly messages: Stream.Stream<Parcel, MessagesTaken>
  /**
   * Takes `messages` for the current scope and returns its stream (which
   * then cannot fail): a second reader is refused here, when it starts,
   * rather than when it first runs. `Gossip` subscribes when its layer is
   * built.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<Parcel>, MessagesTaken, Scope.Scope>
  /** Connected peers. */
  readonly total: Effect.Effect<number>
  readonly info: Effect.Effect<Info>
  /** Metrics of every connected peer, by hash. */
  readonly peerMetrics: Effect.Effect<ReadonlyMap<string, PeerMetrics>>
  /**
   * Calls `hook` about once a second with `peerMetrics` (Go: `SetMetricsHook`);
   * a later call replaces it, `undefined` removes it. A failing hook is logged.
   */
  readonly setMetricsHook: (hook: MetricsHook | undefined) => Effect.Effect<void>
  /** The connected peers, read-only. */
  readonly peers: Effect.Effect<ReadonlyArray<PeerInfo>>
  /** Dials an endpoint now (the CAT replenish loop does this by itself); the peer once its handshake completed. */
  readonly dial: (endpoint: Endpoint.Endpoint) => Effect.Effect<PeerInfo, DialError | HandshakeError>
  /** Bans the peer's IP for `manualBan` and disconnects every peer from that IP. */
  readonly ban: (hash: string) => Effect.Effect<void>
  /** Disconnects a peer. */
  readonly disconnect: (hash: string) => Effect.Effect<void>
  /** Replaces the special peers: `ip:port` or IP entries separated by `,` or `;`. */
  readonly setSpecial: (raw: string) => Effect.Effect<void, ConfigError>
  /** CAT rounds run so far. */
  readonly rounds: Effect.Effect<number>
  /** Runs until interrupted; the node itself lives as long as its layer. */
  readonly run: Effect.Effect<never>
}

/**
 * @category services
 * @since 0.1.0
 */
export class Network extends Context.Service<Network, NetworkService>()("@catp2p/p2p/Network") {
  static readonly layer: Layer.Layer<
    Network,
    never,
    NodeConfig | PeerStore | Bans | Specials.Specials | Inbox | NodeStats | Router | Dialer | Listener
  > = Layer.effect(
    Network,
    Effect.gen(function* () {
      const { config, negotiation } = yield* NodeConfig
      const store = yield* PeerStore
      const bans = yield* Bans
      const specials = yield* Specials.Specials
      const inbox = yield* Inbox
      const stats = yield* NodeStats
      const router = yield* Router
      const dialer = yield* Dialer
      const listener = yield* Listener

      const ban = Effect.fn("Network.ban")(function* (hash: string) {
        const peer = store.get(hash)
        if (peer === undefined) return
        const until = (yield* Clock.currentTimeMillis) + Duration.toMillis(config.manualBan)
        bans.ban(peer.endpoint.ip, until)
        bans.banEndpoint(peer.endpoint, until)
        for (const p of store.all()) if (p.endpoint.ip === peer.endpoint.ip) yield* p.stop("Stopped", "banned")
      })

      const info = Effect.sync((): Info => {
        const s = stats.snapshot()
        return {
          peers: store.total,
          receiving: s.messageRateDown,
          sending: s.messageRateUp,
          download: s.byteRateDown,
          upload: s.byteRateUp,
          dropped: s.dropped
        }
      }).pipe(Effect.withSpan("Network.info"))

      const peerMetrics = Effect.sync(
        (): ReadonlyMap<string, PeerMetrics> => new Map(store.all().map((p) => [p.hash, p.metrics()]))
      )
      // the hook's fiber runs in the node's scope, from the first hook set on
      const scope = yield* Effect.scope
      let hook: MetricsHook | undefined
      let hooking = false
      const callHook = Effect.suspend(() => {
        const h = hook
        if (h === undefined) return Effect.void
        return Effect.flatMap(peerMetrics, h).pipe(
          Effect.catchCause((c) => Effect.logWarning("metrics hook failed", c))
        )
      })
      const setMetricsHook = (h: MetricsHook | undefined) =>
        Effect.suspend(() => {
          hook = h
          if (hooking || h === undefined) return Effect.void
          hooking = true
          return Effect.sleep(METRICS_HOOK_INTERVAL).pipe(
            Effect.andThen(callHook),
            Effect.forever,
            Effect.forkIn(scope),
            Effect.asVoid
          )
        })

      // stopping: no new sends; the peers write what was sent before, up to
      // the deadline (this layer is built last, so it is finalized first,
      // while the peers still run)
      let closing = false
      const closedError = new NodeClosed({ message: "the node is stopping: parcel not sent" })
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          closing = true
          return flush(store.all(), config.shutdownFlushTimeout)
        })
      )
      const send = (parcel: Parcel) => (closing ? Effect.fail(closedError) : router.route(parcel))
      const sendBlocking = (parcel: Parcel) => (closing ? Effect.fail(closedError) : router.routeBlocking(parcel))

      return Network.of({
        address: listener.address,
        nodeId: negotiation.nodeId,
        send,
        sendBlocking,
        messages: inbox.messages,
        subscribe: inbox.subscribe.pipe(Effect.withSpan("Network.subscribe")),
        total: Effect.sync(() => store.total),
        info,
        peerMetrics,
        setMetricsHook,
        peers: Effect.sync(() => store.all().map(view)).pipe(Effect.withSpan("Network.peers")),
        dial: Effect.fn("Network.dial")(function* (endpoint: Endpoint.Endpoint) {
          return view(yield* dialer.dial(endpoint))
        }),
        ban,
        disconnect: Effect.fn("Network.disconnect")(function* (hash: string) {
          yield* store.get(hash)?.stop("Stopped", "disconnected") ?? Effect.void
        }),
        setSpecial: Effect.fn("Network.setSpecial")(function* (raw: string) {
          const parsed = Specials.parse(raw)
          if (Result.isFailure(parsed)) return yield* parsed.failure
          specials.set(parsed.success)
        }),
        rounds: Effect.sync(() => stats.counters().rounds),
        run: Effect.never
      })
    })
  )
}

/**
 * Sets the metrics hook of the node provided by the environment (see
 * `NetworkService.setMetricsHook`).
 *
 * @category accessors
 * @since 0.1.0
 */
export const setMetricsHook = (hook: MetricsHook | undefined): Effect.Effect<void, never, Network> =>
  Effect.gen(function* () {
    const network = yield* Network
    yield* network.setMetricsHook(hook)
  })

/**
 * Runs the node provided by the environment until interrupted:
 * `Network.run.pipe(Effect.provide(P2PLayer.layer(config)), NodeRuntime.runMain)`.
 *
 * @category running
 * @since 0.1.0
 */
export const run: Effect.Effect<never, never, Network> = Effect.gen(function* () {
  const network = yield* Network
  return yield* network.run
})
