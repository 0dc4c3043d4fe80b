/**
 * The node's core (Go: `controller`): it attaches handshaken connections as
 * peers, handing each the `Inbox` for its application parcels; each peer
 * runs its own control protocol, deadlines and rates (see `Peer`), which
 * the node's one tick (`Tick`) drives through this module once a tick,
 * after the application queue's stall check (`Inbox.maintain`).
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import type * as Endpoint from "../../Endpoint.ts"
import { Guard } from "../guard/Guard.ts"
import { Inbox } from "./Inbox.ts"
import type { Handshake } from "../../Handshake.ts"
import { NodeConfig } from "./NodeConfig.ts"
import { OperatorLog } from "../log/OperatorLog.ts"
import * as ParcelType from "../../ParcelType.ts"
import * as Loops from "../peer/Loops.ts"
import type * as PeerModule from "../peer/Peer.ts"
import * as PeerHash from "../../PeerHash.ts"
import { PeerStore } from "./PeerStore.ts"
import type { Protocol } from "../../wire/Protocol.ts"
import { Specials } from "./Specials.ts"
import { NodeStats } from "../stats/NodeStats.ts"
import * as Traffic from "../stats/Traffic.ts"
import { Tick } from "./Tick.ts"
import type { Connection } from "../../Transport.ts"

/** A peer's lifetime as a root `p2p.peer` span (ending with why it closed), its logs annotated with its hash. */
const tracePeer =
  (o: {
    readonly endpoint: Endpoint.Endpoint
    readonly handshake: Handshake
    readonly protocol: Protocol
    readonly incoming: boolean
  }) =>
  (self: Effect.Effect<PeerModule.PeerClosed>): Effect.Effect<PeerModule.PeerClosed> => {
    const hash = PeerHash.format(o.endpoint.ip, o.endpoint.port, o.handshake.nodeId)
    return self.pipe(
      Effect.tap((closed) =>
        Effect.andThen(
          Effect.annotateCurrentSpan({
            "p2p.peer.close_reason": closed.reason,
            "p2p.peer.close_message": closed.message
          }),
          Effect.logDebug(`peer closed (${closed.reason}): ${closed.message}`)
        )
      ),
      Effect.withSpan("p2p.peer", {
        root: true,
        attributes: {
          "p2p.peer.hash": hash,
          "p2p.peer.address": `${o.endpoint.ip}:${o.endpoint.port}`,
          "p2p.protocol.version": o.protocol.version,
          "p2p.direction": o.incoming ? "incoming" : "outgoing"
        }
      }),
      Effect.annotateLogs("peer", hash)
    )
  }

/**
 * @since 0.1.0
 */
export interface ControllerService {
  /**
   * Runs a handshaken connection as a peer until it ends: adds it to the
   * store (replacing a peer with the same hash), removes it when it ends.
   * `onStart` sees the peer once it is live.
   */
  readonly attach: (options: {
    readonly connection: Connection
    readonly protocol: Protocol
    readonly handshake: Handshake
    readonly endpoint: Endpoint.Endpoint
    readonly incoming: boolean
    readonly onStart?: (peer: PeerModule.Peer) => Effect.Effect<void>
  }) => Effect.Effect<PeerModule.PeerClosed>
  /** Endpoints to offer a peer (or a refused connection): up to `peerShareAmount` random peers, none that `exclude` matches. */
  readonly shareFor: (exclude: (ep: Endpoint.Endpoint) => boolean) => Effect.Effect<ReadonlyArray<Endpoint.Endpoint>>
  /** Counts `self` as a connection in progress (dial or handshake) in the node's statistics while it runs. */
  readonly connecting: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** What the Controller's layer needs. */
type Requires = NodeConfig | PeerStore | Specials | Guard | Tick | Inbox | NodeStats | OperatorLog

/**
 * @since 0.1.0
 */
export class Controller extends Context.Service<Controller, ControllerService>()("@catp2p/p2p/Controller") {
  static readonly layer: Layer.Layer<Controller, never, Requires> = Layer.effect(
    Controller,
    Effect.gen(function* () {
      const { config } = yield* NodeConfig
      const store = yield* PeerStore
      const specials = yield* Specials
      const guard = yield* Guard
      const inbox = yield* Inbox
      const stats = yield* NodeStats
      const operator = yield* OperatorLog

      const shareFor = (exclude: (ep: Endpoint.Endpoint) => boolean) =>
        Effect.map(store.shuffled(), (peers) => {
          const out: Array<Endpoint.Endpoint> = []
          for (const p of peers) {
            if (out.length >= config.peerShareAmount) break
            if (!exclude(p.endpoint)) out.push(p.endpoint)
          }
          return out
        })

      const sharing = {
        shareFor,
        tooSoon: () => stats.peerRequestTooSoon()
      }

      /** `10.0.0.1:8108 1a2b3c4d (in, v10)`: the peer's hash, direction and protocol, for the operator's lines. */
      const who = (peer: PeerModule.Peer) =>
        `${peer.hash} (${peer.incoming ? "in" : "out"}, v${peer.protocol.version}${peer.special ? ", special" : ""})`
      const annotations = (peer: PeerModule.Peer) => () => ({
        peer: peer.hash,
        direction: peer.incoming ? "in" : "out",
        protocol: peer.protocol.version
      })

      const attach: ControllerService["attach"] = (options) => {
        let live: PeerModule.Peer | undefined
        return Loops.run(
          {
            connection: options.connection,
            protocol: options.protocol,
            handshake: options.handshake,
            endpoint: options.endpoint,
            incoming: options.incoming,
            settings: config,
            isSpecial: specials.cachedFor(options.endpoint),
            inbox,
            sharing,
            traffic: stats.traffic,
            budget: guard.budget
          },
          (peer) =>
            Effect.gen(function* () {
              live = peer
              stats.track(peer)
              const replaced = store.add(peer)
              if (replaced !== undefined) yield* replaced.stop("Stopped", "replaced by a new connection")
              yield* Effect.addFinalizer(() =>
                Effect.sync(() => {
                  store.remove(peer)
                  stats.retire(peer)
                })
              )
              // a protocol 9 node says hello with a Peer-Request: answer it (Go does the same)
              if (options.handshake.type === ParcelType.PeerRequest) yield* peer.answerPeerRequest()
              yield* operator.log(
                "connected",
                () => `peer connected: ${who(peer)}, ${store.total} peers`,
                annotations(peer)
              )
              if (options.onStart) yield* options.onStart(peer)
            })
        ).pipe(
          Effect.tap((closed) => {
            const peer = live
            if (peer === undefined) return Effect.void
            return Effect.flatMap(Clock.currentTimeMillis, (now) =>
              operator.log(
                "disconnected",
                () =>
                  `peer disconnected: ${who(peer)} after ${Duration.format(Duration.millis(now - peer.connected))}: ` +
                  `${closed.reason} (${closed.message}), ${store.total} peers`,
                annotations(peer)
              )
            )
          }),
          Effect.tap((closed) => {
            if (closed.reason === "Malformed") stats.invalid()
            // misbehaviour (invalid data, a stalled frame): counted, and invalid data discourages the IP
            return closed.misbehaviour === undefined
              ? Effect.void
              : guard.report(options.endpoint.ip, closed.misbehaviour, specials.isSpecial(options.endpoint))
          }),
          tracePeer(options)
        )
      }

      // once a tick: the application queue's stall check, then each peer's
      // deadlines, ping and rates (see `Peer.maintain`)
      const tick = yield* Tick
      yield* tick.register((now) =>
        Effect.andThen(inbox.maintain, () =>
          Effect.forEach(store.all(), (peer) => peer.maintain(now), { discard: true })
        )
      )

      return Controller.of({ attach, shareFor, connecting: Traffic.connecting(stats.traffic) })
    })
  )
}
