/**
 * Routes application parcels to their target (Go: `controller.route`), in
 * the sender's fiber: there is no extra queue between `Network.send` and the
 * peers' send queues, so a parcel is routed as soon as it is sent and drops
 * happen (counted) only at the peer that cannot keep up.
 *
 * - a peer hash: that peer, if connected;
 * - `RandomPeer` (or empty): one random peer;
 * - `Broadcast`: `fanout` random non-special peers plus every special peer;
 * - `FullBroadcast`: every peer.
 *
 * With `peerResendFilter`, broadcasts skip peers that sent us the same
 * payload recently.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, Random } from "effect"
import { NodeConfig } from "./NodeConfig.ts"
import * as Parcel from "../../Parcel.ts"
import type { Peer } from "../peer/Peer.ts"
import { PeerStore } from "./PeerStore.ts"
import { fingerprint } from "./ResendFilter.ts"

/**
 * @since 0.1.0
 */
export interface RouterService {
  /** Routes without waiting; returns the number of peers the parcel was queued for. */
  readonly route: (parcel: Parcel.Parcel) => Effect.Effect<number>
  /** Routes, waiting for room in each target's queue instead of dropping. */
  readonly routeBlocking: (parcel: Parcel.Parcel) => Effect.Effect<number>
}

const none = Effect.succeed(0)
const one = Effect.succeed(1)

/**
 * @since 0.1.0
 */
export class Router extends Context.Service<Router, RouterService>()("@catp2p/p2p/Router") {
  static readonly layer: Layer.Layer<Router, never, NodeConfig | PeerStore> = Layer.effect(
    Router,
    Effect.gen(function* () {
      const { config } = yield* NodeConfig
      const store = yield* PeerStore

      const notResent = (peers: ReadonlyArray<Peer>, payload: Uint8Array) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          if (!config.peerResendFilter || peers.length === 0) return peers
          const key = fingerprint(payload)
          return peers.filter((p) => p.resend === undefined || !p.resend.has(key, now))
        })

      const broadcastSelection = (peers: ReadonlyArray<Peer>) =>
        Effect.gen(function* () {
          if (peers.length <= config.fanout) return peers
          const special: Array<Peer> = []
          const regular: Array<Peer> = []
          for (const p of peers) (p.special ? special : regular).push(p)
          if (regular.length < config.fanout) return peers
          const shuffled = yield* Random.shuffle(regular)
          return special.concat(shuffled.slice(0, config.fanout))
        })

      const targets = (parcel: Parcel.Parcel): Effect.Effect<ReadonlyArray<Peer>> => {
        switch (parcel.address) {
          case Parcel.FullBroadcast:
            return notResent(store.all(), parcel.payload)
          case Parcel.Broadcast:
            return Effect.flatMap(notResent(store.all(), parcel.payload), broadcastSelection)
          case "":
          case Parcel.RandomPeer: {
            const all = store.all()
            if (all.length === 0) return Effect.succeed([])
            return Effect.map(Random.nextIntBetween(0, all.length, { halfOpen: true }), (i) => [all[i]!])
          }
          default: {
            const peer = store.get(parcel.address)
            return Effect.succeed(peer === undefined ? [] : [peer])
          }
        }
      }

      /** Whether `address` names one peer (not a broadcast or a random peer). */
      const direct = (address: string) =>
        address !== Parcel.FullBroadcast &&
        address !== Parcel.Broadcast &&
        address !== Parcel.RandomPeer &&
        address !== ""

      // the common case, one peer by hash, without building a list of targets
      const routeDirect = (parcel: Parcel.Parcel) =>
        Effect.sync(() => {
          const peer = store.get(parcel.address)
          if (peer === undefined) return 0
          peer.send(parcel)
          return 1
        })

      const routeDirectBlocking = (parcel: Parcel.Parcel) =>
        Effect.suspend(() => {
          const peer = store.get(parcel.address)
          if (peer === undefined) return none
          if (!peer.queue.full) {
            peer.send(parcel)
            return one
          }
          return Effect.as(peer.queue.offerWait(parcel), 1)
        })

      const route = (parcel: Parcel.Parcel) =>
        direct(parcel.address)
          ? routeDirect(parcel)
          : Effect.map(targets(parcel), (peers) => {
              for (const p of peers) p.send(parcel)
              return peers.length
            })

      const routeBlocking = (parcel: Parcel.Parcel) =>
        direct(parcel.address)
          ? routeDirectBlocking(parcel)
          : Effect.flatMap(targets(parcel), (peers) =>
              Effect.as(
                Effect.forEach(peers, (p) => p.queue.offerWait(parcel), { discard: true }),
                peers.length
              )
            )

      return Router.of({ route, routeBlocking })
    })
  )
}
