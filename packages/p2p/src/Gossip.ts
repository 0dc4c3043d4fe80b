/**
 * Gossip on top of `Network`: the repetition detection and re-broadcast that
 * the Go package leaves to the application. `publish` broadcasts a payload;
 * every node that receives a payload for the first time hands it to the
 * application once (`messages`) and broadcasts it on (fanout via
 * `Broadcast`). A bounded, time-windowed cache of payload digests (SHA-256)
 * recognises repeats.
 *
 * Gossip is its node's one reader of `Network.messages` (it subscribes when
 * its layer is built, and the layer fails with `MessagesTaken` if another
 * reader holds them): an application on Gossip reads `Gossip.messages`.
 *
 * @example
 * ```ts
 * import { Gossip } from "@catp2p/p2p"
 * import { Effect, Stream } from "effect"
 * const program = Effect.gen(function* () {
 *   const gossip = yield* Gossip.Gossip
 *   yield* gossip.publish(new TextEncoder().encode("news"))
 *   yield* Stream.runForEach(gossip.messages, (m) => Effect.log(`${m.from}: ${m.payload.length} bytes`))
 * })
 * ```
 * @since 0.1.0
 * @module
 */
import { createHash } from "node:crypto"
import { Clock, Context, Duration, Effect, Layer, Queue, Stream } from "effect"
import { type MessagesTaken, Network, type NodeClosed } from "./Network.ts"
import * as Parcel from "./Parcel.ts"

/**
 * A payload seen for the first time.
 *
 * @category models
 * @since 0.1.0
 */
export interface GossipMessage {
  readonly payload: Uint8Array
  /** The peer hash it came from. */
  readonly from: string
  /** Its SHA-256, hex. */
  readonly id: string
}

/**
 * @category models
 * @since 0.1.0
 */
export interface GossipOptions {
  /** How long a payload is remembered (default 10 minutes). */
  readonly window?: Duration.Input
  /** The most payload digests remembered (default 100,000). */
  readonly capacity?: number
  /** Messages buffered for the application before the oldest are dropped (default 10,000). */
  readonly queueCapacity?: number
}

/**
 * @category services
 * @since 0.1.0
 */
export interface GossipService {
  /** Broadcasts a payload (and remembers it, so it is not delivered back to us). */
  readonly publish: (payload: Uint8Array) => Effect.Effect<void, NodeClosed>
  /** Each payload once, in arrival order; one shared queue. */
  readonly messages: Stream.Stream<GossipMessage>
  /** Counters: delivered, repeats ignored, dropped because the application did not keep up. */
  readonly stats: Effect.Effect<{ readonly delivered: number; readonly repeats: number; readonly dropped: number }>
}

/**
 * A digest set over a sliding time window, bounded in size: two generations,
 * the older dropped when the window passes or the newer fills up.
 *
 * @category models
 * @since 0.1.0
 */
export class SeenCache {
  private current = new Set<string>()
  private previous = new Set<string>()
  private since: number
  private readonly half: number
  private readonly capacity: number

  constructor(window: number, capacity: number, now: number) {
    this.half = Math.max(1, window / 2)
    this.capacity = Math.max(2, capacity)
    this.since = now
  }

  /** Records `id`; returns whether it was new. */
  add(id: string, now: number): boolean {
    if (now - this.since >= this.half || this.current.size >= this.capacity / 2) {
      this.previous = now - this.since >= 2 * this.half ? new Set() : this.current
      this.current = new Set()
      this.since = now
    }
    if (this.current.has(id) || this.previous.has(id)) return false
    this.current.add(id)
    return true
  }

  get size(): number {
    return this.current.size + this.previous.size
  }
}

const idOf = (payload: Uint8Array): string => createHash("sha256").update(payload).digest("hex")

/**
 * @category services
 * @since 0.1.0
 */
export class Gossip extends Context.Service<Gossip, GossipService>()("@catp2p/p2p/Gossip") {
  static readonly layerWith = (options: GossipOptions = {}): Layer.Layer<Gossip, MessagesTaken, Network> =>
    Layer.effect(
      Gossip,
      Effect.gen(function* () {
        const network = yield* Network
        const seen = new SeenCache(
          Duration.toMillis(Duration.fromInputUnsafe(options.window ?? "10 minutes")),
          options.capacity ?? 100_000,
          yield* Clock.currentTimeMillis
        )
        const out = yield* Queue.sliding<GossipMessage>(options.queueCapacity ?? 10_000)
        const counters = { delivered: 0, repeats: 0, dropped: 0 }

        // the node's one reader of `Network.messages` (refused at build when another reads it)
        const messages = yield* network.subscribe
        yield* Stream.runForEach(messages, (parcel) =>
          Effect.gen(function* () {
            const id = idOf(parcel.payload)
            if (!seen.add(id, yield* Clock.currentTimeMillis)) {
              counters.repeats++
              return
            }
            counters.delivered++
            if (Queue.isFullUnsafe(out)) counters.dropped++
            Queue.offerUnsafe(out, { payload: parcel.payload, from: parcel.address, id })
            // a node that is stopping relays no more
            yield* Effect.ignore(network.send(Parcel.make(Parcel.Broadcast, parcel.payload)))
          })
        ).pipe(Effect.forkScoped)

        return Gossip.of({
          publish: (payload) =>
            Effect.gen(function* () {
              seen.add(idOf(payload), yield* Clock.currentTimeMillis)
              yield* network.send(Parcel.make(Parcel.Broadcast, payload))
            }),
          messages: Stream.fromQueue(out),
          stats: Effect.sync(() => ({ ...counters }))
        })
      })
    )

  /** With the default window (10 min) and capacity (100,000 digests). */
  static readonly layer: Layer.Layer<Gossip, MessagesTaken, Network> = Gossip.layerWith()
}
