/**
 * The node's core (Go: `controller`): it attaches handshaken connections as
 * peers, handles the p2p parcels they send (Ping, Peer-Request,
 * Peer-Response) and passes application parcels to the `Inbox`, and
 * once a second pings idle peers and updates rates.
 *
 * @since 0.1.0
 */
import { Clock, Context, Deferred, Duration, Effect, Layer, Schedule } from "effect"
import type * as Endpoint from "../../Endpoint.ts"
import { Guard } from "../guard/Guard.ts"
import { Inbox } from "./Inbox.ts"
import type { Handshake } from "../../Handshake.ts"
import { NodeConfig } from "./NodeConfig.ts"
import type * as Parcel from "../../Parcel.ts"
import * as ParcelType from "../../ParcelType.ts"
import * as PeerModule from "../peer/Peer.ts"
import * as PeerHash from "../../PeerHash.ts"
import { PeerStore } from "./PeerStore.ts"
import type { Protocol } from "../../wire/Protocol.ts"
import { Specials } from "./Specials.ts"
import { NodeStats } from "../stats/NodeStats.ts"
import * as Traffic from "../stats/Traffic.ts"
import type { Connection } from "../../Transport.ts"

const PING = new TextEncoder().encode("Ping")
const PONG = new TextEncoder().encode("Pong")
const PEER_REQUEST = new TextEncoder().encode("Peer Request")

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
  /** Sends `peer` a Peer-Request and waits up to `timeout` for its Peer-Response (for replenishing). */
  readonly requestPeers: (peer: PeerModule.Peer, timeout: Duration.Input) => Effect.Effect<Parcel.Parcel | undefined>
}

/** What the Controller needs. */
type Needs = NodeConfig | PeerStore | Specials | Guard | Inbox | NodeStats

/**
 * @since 0.1.0
 */
export class Controller extends Context.Service<Controller, ControllerService>()("@catp2p/p2p/Controller") {
  static readonly layer: Layer.Layer<Controller, never, Needs> = Layer.effect(
    Controller,
    Effect.gen(function* () {
      const { config, tick } = yield* NodeConfig
      const store = yield* PeerStore
      const specials = yield* Specials
      const guard = yield* Guard
      const inbox = yield* Inbox
      const stats = yield* NodeStats
      const shareWaiters = new Map<string, Deferred.Deferred<Parcel.Parcel>>()
      const requestInterval = Duration.toMillis(config.peerRequestInterval)

      const shareFor = (exclude: (ep: Endpoint.Endpoint) => boolean) =>
        Effect.map(store.shuffled(), (peers) => {
          const out: Array<Endpoint.Endpoint> = []
          for (const p of peers) {
            if (out.length >= config.peerShareAmount) break
            if (!exclude(p.endpoint)) out.push(p.endpoint)
          }
          return out
        })

      const answerPeerRequest = Effect.fnUntraced(function* (peer: PeerModule.Peer) {
        const now = yield* Clock.currentTimeMillis
        if (now - peer.lastPeerRequest < requestInterval) {
          stats.peerRequestTooSoon()
          return yield* Effect.logDebug("peer request too soon").pipe(Effect.annotateLogs("peer", peer.hash))
        }
        peer.lastPeerRequest = now
        const own = peer.endpoint
        const payload = peer.protocol.makePeerShare(yield* shareFor((ep) => ep.ip === own.ip && ep.port === own.port))
        if (payload.length > 0) peer.sendControl({ type: ParcelType.PeerResponse, address: "", payload })
      })

      const onParcel = (peer: PeerModule.Peer, parcel: Parcel.Parcel): Effect.Effect<void> => {
        switch (parcel.type) {
          case ParcelType.Message:
          case ParcelType.MessagePart:
            return inbox.deliver(parcel)
          case ParcelType.Ping:
            peer.sendControl({ type: ParcelType.Pong, address: "", payload: PONG })
            return Effect.void
          case ParcelType.PeerRequest:
            return answerPeerRequest(peer)
          case ParcelType.PeerResponse: {
            const waiter = shareWaiters.get(peer.hash)
            if (waiter === undefined) return Effect.void
            // an answer we asked for: the peer is useful (see `Eviction`)
            peer.lastPeerShare = peer.lastReceive
            return Effect.asVoid(Deferred.succeed(waiter, parcel))
          }
          default:
            return Effect.void
        }
      }

      const attach: ControllerService["attach"] = (options) =>
        PeerModule.run(
          {
            connection: options.connection,
            protocol: options.protocol,
            handshake: options.handshake,
            endpoint: options.endpoint,
            incoming: options.incoming,
            settings: config,
            isSpecial: specials.cachedFor(options.endpoint),
            onParcel,
            traffic: stats.traffic,
            budget: guard.budget
          },
          (peer) =>
            Effect.gen(function* () {
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
              if (options.handshake.type === ParcelType.PeerRequest) yield* answerPeerRequest(peer)
              if (options.onStart) yield* options.onStart(peer)
            })
        ).pipe(
          Effect.tap((closed) => {
            if (closed.reason === "Malformed") stats.invalid()
            // misbehaviour (invalid data, a stalled frame): counted, and invalid data discourages the IP
            return closed.misbehaviour === undefined
              ? Effect.void
              : guard.report(options.endpoint.ip, closed.misbehaviour, specials.isSpecial(options.endpoint))
          }),
          tracePeer(options)
        )

      const requestPeers: ControllerService["requestPeers"] = (peer, timeout) =>
        Effect.gen(function* () {
          // listen before asking: the answer can come back before this fiber runs again
          const waiter = yield* Deferred.make<Parcel.Parcel>()
          shareWaiters.set(peer.hash, waiter)
          peer.lastPeerSend = yield* Clock.currentTimeMillis
          peer.sendControl({ type: ParcelType.PeerRequest, address: "", payload: PEER_REQUEST })
          return yield* Deferred.await(waiter).pipe(Effect.timeoutOption(timeout))
        }).pipe(
          Effect.map((o) => (o._tag === "Some" ? o.value : undefined)),
          Effect.ensuring(Effect.sync(() => shareWaiters.delete(peer.hash)))
        )

      // once a second: enforce read/write deadlines, ping peers we have not
      // written to for pingInterval, update rates
      const pingAfter = Duration.toMillis(config.pingInterval)
      const readDeadline = Duration.toMillis(config.readDeadline)
      const writeDeadline = Duration.toMillis(config.writeDeadline)
      yield* Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* inbox.maintain
        for (const peer of store.all()) {
          peer.tick(now)
          const late = peer.overdue(now, readDeadline, writeDeadline)
          if (late !== undefined) {
            yield* peer.stop(
              late,
              late === "ReadTimeout"
                ? "no data within the read deadline"
                : late === "Stalled"
                  ? (peer.stalledBy?.message ?? "frame stalled")
                  : "a write took longer than the write deadline",
              late === "Stalled" ? peer.stalledBy : undefined
            )
            continue
          }
          if (now - peer.lastSend > pingAfter && peer.queue.size === 0) {
            peer.sendControl({ type: ParcelType.Ping, address: "", payload: PING })
          }
        }
      }).pipe(Effect.repeat(Schedule.spaced(tick)), Effect.forkScoped)

      return Controller.of({ attach, connecting: Traffic.connecting(stats.traffic), shareFor, requestPeers })
    })
  )
}
