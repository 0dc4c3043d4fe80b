/**
 * The application's queue (Go: the `FromNetwork` parcel channel): the
 * application parcels the peers deliver, oldest first, until the
 * application takes them. It owns the queue, its back-pressure and its
 * stall policy; peers hand it parcels with `deliver`, the node tick calls
 * `maintain`, the application reads `messages`.
 *
 * **One reader at a time, in the types.** `messages` has one meaning:
 * *the* application's stream. While a stream of it runs it owns the queue;
 * a second stream run at the same time fails at once with
 * {@link MessagesTaken} instead of silently getting a random share of the
 * parcels. When the first ends (e.g. after `Stream.take`), the next may
 * read. A broadcast to several subscribers was the alternative; it was not
 * chosen because the queue's two policies are defined by one reader:
 *
 * - the input budget (`inputBudget`) counts a parcel until the application
 *   *takes* it; with several subscribers a parcel would stay counted until
 *   the slowest one took it, so one idle subscriber would hold the whole
 *   node's budget (and every peer's reader) hostage, or need a drop policy
 *   of its own that the budget cannot see;
 * - the stall policy (Go's, drop the older half when the application takes
 *   nothing) asks "did the application take anything this tick?", which has
 *   no single answer with several readers.
 *
 * An application that wants several consumers fans out itself, with the
 * policy it chooses (as `Gossip` does: it is the one reader and offers its
 * own `messages`, a sliding queue).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Queue, Schema, type Scope, Stream } from "effect"
import { Guard } from "../guard/Guard.ts"
import { NodeConfig } from "./NodeConfig.ts"
import type * as Parcel from "../../Parcel.ts"
import * as ParcelType from "../../ParcelType.ts"
import { NodeStats } from "../stats/NodeStats.ts"

/**
 * `Network.messages` was run while another stream of it was still running:
 * the node's application parcels have one reader at a time (see the module
 * doc of `Inbox`).
 *
 * @category errors
 * @since 0.1.0
 */
export class MessagesTaken extends Schema.TaggedError<MessagesTaken>()("MessagesTaken", {
  message: Schema.String
}) {}

/**
 * @since 0.1.0
 */
export interface InboxService {
  /**
   * Queues an application parcel (Message or MessagePart, delivered as a
   * Message) for the application, bounded by `channelCapacity`. Its payload
   * counts in the input budget until the application takes it. When the
   * queue is full, the caller (a peer's reader) waits for room, so TCP flow
   * control slows that peer and a sender pacing itself with `sendBlocking`
   * loses nothing. When the application is stalled (see `maintain`), a full
   * queue drops its older half at once instead (Go's policy, always).
   */
  readonly deliver: (parcel: Parcel.Parcel) => Effect.Effect<void>
  /**
   * Once a node tick: when readers waited a whole tick and the application
   * took nothing, the application is stalled: the older half is dropped
   * (counted as dropped from network) and, until it takes a parcel again, a
   * full queue drops its older half instead of holding readers. So a stalled
   * application delays its peers' input by at most about two ticks and
   * never stops it.
   */
  readonly maintain: Effect.Effect<void>
  /**
   * Takes the queue for the application while the returned stream's scope
   * lives; fails with {@link MessagesTaken} while another reader holds it.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<Parcel.Parcel>, MessagesTaken, Scope.Scope>
  /** `subscribe` as one stream: the application's parcels while it runs, one reader at a time. */
  readonly messages: Stream.Stream<Parcel.Parcel, MessagesTaken>
  /** Parcels waiting for the application now. */
  readonly size: () => number
  /** The queue's capacity (`channelCapacity`). */
  readonly capacity: number
}

/**
 * @since 0.1.0
 */
export class Inbox extends Context.Service<Inbox, InboxService>()("@catp2p/p2p/Inbox") {
  static readonly layer: Layer.Layer<Inbox, never, NodeConfig | Guard | NodeStats> = Layer.effect(
    Inbox,
    Effect.gen(function* () {
      const { config } = yield* NodeConfig
      const budget = (yield* Guard).budget
      const stats = yield* NodeStats
      const capacity = config.channelCapacity
      const queue = yield* Queue.bounded<Parcel.Parcel>(capacity)

      /** Parcels the application has taken. */
      let taken = 0
      /** Parcels it had taken at the last tick. */
      let takenAtTick = 0
      /** Readers waiting for room. */
      let holding = 0
      /** The application took nothing for a whole tick while readers waited: drop instead of waiting, as Go does. */
      let stalled = false
      /** A stream of `messages` is running. */
      let reading = false

      const holdForRoom = (app: Parcel.Parcel) => {
        holding++
        return Queue.offer(queue, app).pipe(
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
        const drop = Queue.sizeUnsafe(queue) - Math.floor(capacity / 2)
        if (drop <= 0) return Effect.void
        return Effect.map(Queue.takeN(queue, drop), (dropped) => {
          for (const p of dropped) budget.dequeue(p.payload.length)
          stats.droppedFromNetwork(dropped.length)
        })
      })

      const deliver: InboxService["deliver"] = (parcel) => {
        const app: Parcel.Parcel = parcel.type === ParcelType.Message ? parcel : { ...parcel, type: ParcelType.Message }
        // counted in the input budget from here (the peer has just dropped
        // the frame's reservation) until the application takes it
        budget.enqueue(app.payload.length)
        if (holding === 0 && Queue.offerUnsafe(queue, app)) return Effect.void
        // full: hold this peer's reader until the application makes room
        // (TCP flow control then slows the peer), unless the application is
        // stalled: then drop the older half at once, as Go does
        if (!stalled) return holdForRoom(app)
        return Effect.andThen(dropOlderHalf, holdForRoom(app))
      }

      const maintain = Effect.suspend(() => {
        const progressed = taken !== takenAtTick
        takenAtTick = taken
        if (progressed) {
          stalled = false
          return Effect.void
        }
        if (holding === 0 || !Queue.isFullUnsafe(queue)) return Effect.void
        stalled = true
        return dropOlderHalf
      })

      // the application's side: what it takes leaves the input budget
      const stream = Stream.fromQueue(queue).pipe(
        Stream.mapArray((parcels) => {
          taken += parcels.length
          for (const p of parcels) budget.dequeue(p.payload.length)
          return parcels
        })
      )
      const subscribe: InboxService["subscribe"] = Effect.acquireRelease(
        Effect.suspend(() => {
          if (reading) {
            return Effect.fail(
              new MessagesTaken({
                message:
                  "Network.messages already has a reader: the node's parcels have one reader at a time (fan out from that reader, as Gossip does)"
              })
            )
          }
          reading = true
          return Effect.succeed(stream)
        }),
        () =>
          Effect.sync(() => {
            reading = false
          })
      )

      return Inbox.of({
        deliver,
        maintain,
        subscribe,
        messages: Stream.unwrap(subscribe),
        size: () => Queue.sizeUnsafe(queue),
        capacity
      })
    })
  )
}
