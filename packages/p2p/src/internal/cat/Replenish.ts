/**
 * CAT replenish (Go: `catReplenish`): keeps the node at `targetPeers`
 * connections. While at or above the target it waits (for a peer to leave,
 * rather than polling); otherwise, once a second, it builds a list of
 * endpoints to dial:
 *
 * 1. on start-up, the peers of a fresh peer file (see `Round`);
 * 2. special peers not connected;
 * 3. the seeds, when the node has fewer than `minReseed` connections (or the
 *    seed list is due for a refresh);
 * 4. the endpoints of a Peer-Request answered by a random peer within
 *    `peerShareTimeout` (each peer asked at most once per
 *    `peerRequestInterval`); Go takes one of them at random, catp2p queues
 *    them all (at most `peerShareAmount`).
 *
 * 5. endpoints learned earlier (below), in random order.
 *
 * It dials the list in order until the target is reached, the list is
 * empty, or 4 dials were made. Alternatives offered by a full node join the
 * list (Go drops them: it only keeps alternatives of dials that succeeded).
 * `peerIpLimitOutgoing` caps outgoing connections per IP.
 *
 * Learned endpoints, where catp2p differs from Go: alternatives and shared
 * endpoints that were not dialed in their pass are remembered (at most
 * {@link LEARNED_MAX}, the oldest forgotten first) and tried in later
 * passes, as Bitcoin's address manager does. Without them a node that only
 * has the seeds starts every pass from the seed again, and every newcomer of
 * a network tries only the seed's own peers: in a network that starts from
 * one seed, the seed's few neighbours are the only way in and admit about
 * one newcomer each per second however large the network (1,000 nodes took
 * 30 simulated seconds to fill; 10,000 would take minutes). Remembering what
 * rejections offered spreads the newcomers' dials over the whole network.
 * An endpoint is forgotten once connected, or when a dial to it fails for a
 * reason other than a rejection (refused, timed out: likely gone).
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Random, Result } from "effect"
import { Bans } from "../guard/Bans.ts"
import { Dialer } from "../node/Dialer.ts"
import * as Endpoint from "../../Endpoint.ts"
import { NodeConfig } from "../node/NodeConfig.ts"
import { PeerStore } from "../node/PeerStore.ts"
import { Round } from "./Round.ts"
import { Seeds } from "./Seeds.ts"
import { Specials } from "../node/Specials.ts"

const MAX_DIALS_PER_PASS = 4

/**
 * How many learned endpoints (alternatives and shares not yet dialed) a node
 * remembers for later passes.
 *
 * @since 0.1.0
 */
export const LEARNED_MAX = 256

/**
 * @since 0.1.0
 */
export class Replenish extends Context.Service<Replenish, { readonly pass: Effect.Effect<number> }>()(
  "@catp2p/p2p/Replenish"
) {
  static readonly layer: Layer.Layer<
    Replenish,
    never,
    NodeConfig | PeerStore | Bans | Specials | Dialer | Seeds | Round
  > = Layer.effect(
    Replenish,
    Effect.gen(function* () {
      const { config } = yield* NodeConfig
      const store = yield* PeerStore
      const bans = yield* Bans
      const specials = yield* Specials
      const dialer = yield* Dialer
      const seeds = yield* Seeds
      const round = yield* Round
      const requestInterval = Duration.toMillis(config.peerRequestInterval)
      const reseedInterval = Duration.toMillis(config.peerReseedInterval)
      let lastReseed = Number.NEGATIVE_INFINITY
      /** Learned endpoints by "ip:port", oldest first. */
      const learned = new Map<string, Endpoint.Endpoint>()
      const learn = (ep: Endpoint.Endpoint, key = Endpoint.format(ep)) => {
        if (learned.has(key) || store.connected(ep)) return
        if (learned.size >= LEARNED_MAX) learned.delete(learned.keys().next().value!)
        learned.set(key, ep)
      }

      const outgoingTo = (ip: string) => store.all().filter((p) => !p.incoming && p.endpoint.ip === ip).length

      const canDial = (ep: Endpoint.Endpoint) =>
        Effect.gen(function* () {
          if (store.connected(ep)) return false
          if (config.peerIpLimitOutgoing > 0 && outgoingTo(ep.ip) >= config.peerIpLimitOutgoing) return false
          if (bans.isBannedEndpoint(ep, yield* Clock.currentTimeMillis)) return false
          return yield* dialer.canDial(ep)
        })

      /** Endpoints from a random peer's share (none if it does not answer in time). */
      const askAPeer = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const candidates = store.all().filter((p) => now - p.lastPeerSend >= requestInterval)
        if (candidates.length === 0) return []
        const peer = candidates[yield* Random.nextIntBetween(0, candidates.length, { halfOpen: true })]!
        const reply = yield* peer.requestPeers(config.peerShareTimeout)
        if (reply === undefined) return []
        const parsed = peer.protocol.parsePeerShare(reply.payload)
        if (Result.isFailure(parsed)) {
          yield* Effect.logWarning(`bad peer share from ${peer.hash}: ${parsed.failure.message}`)
          return []
        }
        const at = yield* Clock.currentTimeMillis
        const usable = parsed.success.filter((ep) => !bans.isBannedEndpoint(ep, at))
        // Go takes one random endpoint of the share; catp2p queues all of them
        // (at most peerShareAmount, in random order): the pass still stops at
        // 4 dials, and a node far below its target fills up several times faster
        return (yield* Random.shuffle(usable)).slice(0, config.peerShareAmount)
      })

      /** Dials `list` in order; returns the number of dials made. */
      const dialList = (initial: ReadonlyArray<Endpoint.Endpoint>, limit: number) =>
        Effect.gen(function* () {
          const queue = [...initial]
          const seen = new Set(queue.map(Endpoint.format))
          let dials = 0
          while (queue.length > 0 && dials < limit && store.total < config.targetPeers) {
            const ep = queue.shift()!
            if (!(yield* canDial(ep))) continue
            dials++
            const result = yield* Effect.result(dialer.dial(ep))
            if (Result.isSuccess(result)) {
              learned.delete(Endpoint.format(ep))
              continue
            }
            const e = result.failure
            if (e._tag === "HandshakeError" && e.reason._tag === "Rejected") {
              for (const alt of e.reason.alternatives) {
                const key = Endpoint.format(alt)
                if (!seen.has(key)) {
                  seen.add(key)
                  queue.push(alt)
                }
              }
            } else if (e._tag === "DialError" ? e.reason !== "TooSoon" : true) {
              learned.delete(Endpoint.format(ep))
            }
            yield* Effect.logDebug(`dial ${Endpoint.format(ep)} failed: ${e.message}`)
          }
          // what this pass could not try is kept for the next ones
          for (const ep of queue) learn(ep)
          return dials
        })

      const pass = Effect.gen(function* () {
        if (store.total >= config.targetPeers) return 0
        yield* Effect.annotateCurrentSpan({ "p2p.peers": store.total, "p2p.peers.target": config.targetPeers })
        const list: Array<Endpoint.Endpoint> = [...specials.dialable]
        const now = yield* Clock.currentTimeMillis
        const seedList = yield* seeds.get
        const minReseed = Math.min(config.minReseed, Math.max(0, seedList.length - 1))
        if (store.total <= minReseed || now - lastReseed > reseedInterval) {
          list.push(...(yield* Random.shuffle(seedList)))
          lastReseed = now
        }
        if (store.total > 0) {
          list.push(...(yield* askAPeer))
        }
        if (learned.size > 0) list.push(...(yield* Random.shuffle(learned.values())))
        const dials = yield* dialList(list, MAX_DIALS_PER_PASS)
        yield* Effect.annotateCurrentSpan({ "p2p.replenish.candidates": list.length, "p2p.replenish.dials": dials })
        return dials
      }).pipe(Effect.withSpan("p2p.replenish"))

      yield* Effect.gen(function* () {
        if (round.bootstrap.length > 0) {
          yield* Effect.logDebug(`dialing ${round.bootstrap.length} peers from the peer file`)
          yield* dialList(round.bootstrap, round.bootstrap.length)
        }
        for (;;) {
          // at the target: wait until a peer leaves, instead of polling
          while (store.total >= config.targetPeers) yield* store.nextChange
          const before = store.total
          yield* pass
          // again at once only while dials connect; a pass of rejections
          // (or none) waits a second, as Go's once-a-second loop
          if (store.total <= before) yield* Effect.sleep("1 second")
        }
      }).pipe(
        Effect.tapCause((cause) => Effect.logError("replenish stopped", cause)),
        Effect.forkScoped
      )

      return Replenish.of({ pass })
    })
  )
}
