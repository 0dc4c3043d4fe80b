/**
 * The node's core (Go: `controller`): it attaches handshaken connections as
 * peers and is the inbox they hand application parcels to; each peer runs
 * its own control protocol, deadlines and rates (see `Peer`), which the
 * node's one tick (`Tick`) drives through this module once a tick, after the
 * application queue's stall check.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Queue, Stream } from "effect"
import type { Inbox } from "../peer/Control.ts"
import type * as Endpoint from "../../Endpoint.ts"
import { Guard } from "../guard/Guard.ts"
import type { Handshake } from "../../Handshake.ts"
import { NodeConfig } from "./NodeConfig.ts"
import type * as Parcel from "../../Parcel.ts"
import * as ParcelType from "../../ParcelType.ts"
import * as Loops from "../peer/Loops.ts"
import type * as PeerModule from "../peer/Peer.ts"
import * as PeerHash from "../../PeerHash.ts"
import { PeerStore } from "./PeerStore.ts"
import type { Protocol } from "../../wire/Protocol.ts"
import { Specials } from "./Specials.ts"
import { Tick } from "./Tick.ts"
import { Traffic } from "../stats/Traffic.ts"
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
}

/** What the Controller's layer needs. */
type Requires = NodeConfig | PeerStore | Specials | Guard | Tick

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
        tooSoon: () => {
          counters.peerRequestsTooSoon++
        }
      }

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

      /** The inbox the peers hand application parcels to. */
      const inbox: Inbox = {
        deliver: (parcel) => {
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
      }

      const attach: ControllerService["attach"] = (options) =>
        Loops.run(
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
              if (options.handshake.type === ParcelType.PeerRequest) yield* peer.answerPeerRequest()
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

      // once a tick: the application queue's stall check, then each peer's
      // deadlines, ping and rates (see `Peer.maintain`)
      const tick = yield* Tick
      yield* tick.register((now) =>
        Effect.andThen(checkStalled, () => Effect.forEach(store.all(), (peer) => peer.maintain(now), { discard: true }))
      )

      return Controller.of({ inbound, messages, counters, attach, shareFor })
    })
  )
}
