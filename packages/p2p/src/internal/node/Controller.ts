/**
 * The node's core (Go: `controller`): it attaches handshaken connections as
 * peers, handles the p2p parcels they send (Ping, Peer-Request,
 * Peer-Response) and passes application parcels to the application, and
 * once a second pings idle peers and updates rates.
 *
 * @since 0.1.0
 */
import { Clock, Context, Deferred, Duration, Effect, Layer, Queue, Schedule, Stream } from "effect"
import type * as Endpoint from "../../Endpoint.ts"
import { Guard } from "../guard/Guard.ts"
import type { Handshake } from "../../Handshake.ts"
import { NodeConfig } from "./NodeConfig.ts"
import type * as Parcel from "../../Parcel.ts"
import * as ParcelType from "../../ParcelType.ts"
import * as PeerModule from "../peer/Peer.ts"
import * as PeerHash from "../../PeerHash.ts"
import { PeerStore } from "./PeerStore.ts"
import type { Protocol } from "../../wire/Protocol.ts"
import { Specials } from "./Specials.ts"
import { Traffic } from "../stats/Traffic.ts"
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
 * Counters of the node as a whole.
 *
 * @since 0.1.0
 */
export interface NodeCounters {
  /** Application parcels dropped because the application did not read them fast enough (Go: DroppedFromNetwork). */
  droppedFromNetwork: number
  /** Invalid parcels that closed their peer. */
  invalid: number
  /** Peer-Requests ignored because they came too soon. */
  peerRequestsTooSoon: number
  /** Incoming connections refused (full, per-IP limit, banned, listen limit). */
  refused: number
  /** CAT rounds run so far. */
  rounds: number
  /** Per-parcel traffic, connections in progress, and the totals of peers that ended (read by `Metrics`). */
  readonly traffic: Traffic
}

/**
 * @since 0.1.0
 */
export interface ControllerService {
  /**
   * Application parcels from the network, oldest first, bounded by
   * `channelCapacity`. When it is full, the reader of a peer with a parcel
   * for it waits for room (so TCP flow control slows that peer, and a
   * sender pacing itself with `sendBlocking` loses nothing). When the
   * application takes nothing for a whole node tick (1 s) while readers
   * wait, it is stalled: the older half is dropped and counted in
   * `droppedFromNetwork`, and until the application takes a parcel again a
   * full queue drops its older half at once instead of holding readers
   * (Go's policy, always). So a stalled application delays its peers'
   * input by at most about two ticks and never stops it. While a reader
   * waits, its read deadline does not run.
   */
  readonly inbound: Queue.Queue<Parcel.Parcel>
  /**
   * The application's stream of `inbound`: the payload of each parcel it
   * takes leaves the input budget (`inputBudget` counts parcels queued for
   * the application, so peers cannot park big parcels in it beyond the budget).
   */
  readonly messages: Stream.Stream<Parcel.Parcel>
  readonly counters: NodeCounters
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
  /** Sends `peer` a Peer-Request and waits up to `timeout` for its Peer-Response (for replenishing). */
  readonly requestPeers: (peer: PeerModule.Peer, timeout: Duration.Input) => Effect.Effect<Parcel.Parcel | undefined>
}

/**
 * @since 0.1.0
 */
export class Controller extends Context.Service<Controller, ControllerService>()("@catp2p/p2p/Controller") {
  static readonly layer: Layer.Layer<Controller, never, NodeConfig | PeerStore | Specials | Guard> = Layer.effect(
    Controller,
    Effect.gen(function* () {
      const { config, tick } = yield* NodeConfig
      const store = yield* PeerStore
      const specials = yield* Specials
      const guard = yield* Guard
      const inbound = yield* Queue.bounded<Parcel.Parcel>(config.channelCapacity)
      const budget = guard.budget
      // the application's side of the queue: what it takes leaves the input budget
      const messages = Stream.fromQueue(inbound).pipe(
        Stream.mapArray((parcels) => {
          for (const p of parcels) budget.dequeue(p.payload.length)
          return parcels
        })
      )
      const counters: NodeCounters = {
        droppedFromNetwork: 0,
        invalid: 0,
        peerRequestsTooSoon: 0,
        refused: 0,
        rounds: 0,
        traffic: new Traffic()
      }
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
          counters.peerRequestsTooSoon++
          return yield* Effect.logDebug("peer request too soon").pipe(Effect.annotateLogs("peer", peer.hash))
        }
        peer.lastPeerRequest = now
        const own = peer.endpoint
        const payload = peer.protocol.makePeerShare(yield* shareFor((ep) => ep.ip === own.ip && ep.port === own.port))
        if (payload.length > 0) peer.sendControl({ type: ParcelType.PeerResponse, address: "", payload })
      })

      // back-pressure from the application queue (see `ControllerService.inbound`)
      /** Parcels put in the queue. */
      let delivered = 0
      /** Parcels the application had taken at the last tick. */
      let takenAtTick = 0
      /** Readers waiting for room. */
      let holding = 0
      /** The application took nothing for a whole tick while readers waited: drop instead of waiting, as Go does. */
      let stalled = false
      const holdForRoom = (app: Parcel.Parcel) => {
        holding++
        return Queue.offer(inbound, app).pipe(
          Effect.tap(() =>
            Effect.sync(() => {
              delivered++
            })
          ),
          Effect.onInterrupt(() => Effect.sync(() => budget.dequeue(app.payload.length))),
          Effect.ensuring(
            Effect.sync(() => {
              holding--
            })
          ),
          Effect.asVoid
        )
      }
      /** Drops the older half of the queue (Go's `ParcelChannel` policy), counted. */
      const dropOlderHalf = Effect.suspend(() => {
        const drop = Queue.sizeUnsafe(inbound) - Math.floor(config.channelCapacity / 2)
        if (drop <= 0) return Effect.void
        counters.droppedFromNetwork += drop
        return Effect.map(Queue.takeN(inbound, drop), (dropped) => {
          for (const p of dropped) budget.dequeue(p.payload.length)
        })
      })
      /**
       * Once a tick: the application is stalled when readers waited a whole
       * tick and it took nothing; then the older half is dropped (releasing
       * the readers) and, until it takes a parcel again, full queues drop
       * instead of holding the readers.
       */
      const checkStalled = Effect.suspend(() => {
        const taken = delivered - counters.droppedFromNetwork - Queue.sizeUnsafe(inbound)
        const progressed = taken !== takenAtTick
        takenAtTick = taken
        if (progressed) {
          stalled = false
          return Effect.void
        }
        if (holding === 0 || !Queue.isFullUnsafe(inbound)) return Effect.void
        stalled = true
        return dropOlderHalf
      })

      const onParcel = (peer: PeerModule.Peer, parcel: Parcel.Parcel): Effect.Effect<void> => {
        switch (parcel.type) {
          case ParcelType.Message:
          case ParcelType.MessagePart: {
            const app: Parcel.Parcel =
              parcel.type === ParcelType.Message ? parcel : { ...parcel, type: ParcelType.Message }
            // counted in the input budget from here (the peer has just
            // dropped the frame's reservation) until the application takes it
            budget.enqueue(app.payload.length)
            if (holding === 0 && Queue.offerUnsafe(inbound, app)) {
              delivered++
              return Effect.void
            }
            // full: hold this peer's reader until the application makes room
            // (TCP flow control then slows the peer), unless the application
            // is stalled: then drop the older half at once, as Go does
            if (!stalled) return holdForRoom(app)
            return Effect.andThen(dropOlderHalf, holdForRoom(app))
          }
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
            traffic: counters.traffic,
            budget: guard.budget
          },
          (peer) =>
            Effect.gen(function* () {
              const replaced = store.add(peer)
              if (replaced !== undefined) yield* replaced.stop("Stopped", "replaced by a new connection")
              yield* Effect.addFinalizer(() =>
                Effect.sync(() => {
                  store.remove(peer)
                  counters.traffic.retire(peer)
                })
              )
              // a protocol 9 node says hello with a Peer-Request: answer it (Go does the same)
              if (options.handshake.type === ParcelType.PeerRequest) yield* answerPeerRequest(peer)
              if (options.onStart) yield* options.onStart(peer)
            })
        ).pipe(
          Effect.tap((closed) => {
            if (closed.reason === "Malformed") counters.invalid++
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
        yield* checkStalled
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

      return Controller.of({ inbound, messages, counters, attach, shareFor, requestPeers })
    })
  )
}
