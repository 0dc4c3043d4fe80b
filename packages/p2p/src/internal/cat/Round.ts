/**
 * CAT rounds (Go: `runCatRound`): every `roundTime`, persist the peers and
 * bans to the peer file, then, if there are more than `dropTo` peers, drop
 * random non-special peers down to `dropTo`. Dropping at random keeps the
 * network from settling into a rigid structure; the dropped slots are
 * refilled by Replenish with new peers.
 *
 * Also owns the peer file: it is loaded when the node starts (bans restored;
 * its peers offered to Replenish when the file is younger than
 * `peerCacheAge`) and, unlike Go, written again when the node stops.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Option, Random, Schedule } from "effect"
import { Bans } from "../guard/Bans.ts"
import type * as Endpoint from "../../Endpoint.ts"
import { NodeConfig } from "../node/NodeConfig.ts"
import { PeerCache } from "./PeerCache.ts"
import { PeerStore } from "../node/PeerStore.ts"
import { NodeStats } from "../stats/NodeStats.ts"

/**
 * @since 0.1.0
 */
export interface RoundService {
  /** Peers from a fresh enough peer file, to dial first. */
  readonly bootstrap: ReadonlyArray<Endpoint.Endpoint>
  /** Runs one round now (persist, then drop down to `dropTo`). */
  readonly runOnce: Effect.Effect<void>
  /** Writes the peer file now. */
  readonly persist: Effect.Effect<void>
}

/**
 * @since 0.1.0
 */
export class Round extends Context.Service<Round, RoundService>()("@catp2p/p2p/Round") {
  static readonly layer: Layer.Layer<Round, never, NodeConfig | PeerStore | Bans | NodeStats | PeerCache> =
    Layer.effect(
      Round,
      Effect.gen(function* () {
        const { config } = yield* NodeConfig
        const store = yield* PeerStore
        const bans = yield* Bans
        const stats = yield* NodeStats
        const cache = yield* PeerCache

        const loaded = yield* cache.load
        let bootstrap: ReadonlyArray<Endpoint.Endpoint> = []
        if (Option.isSome(loaded)) {
          const now = yield* Clock.currentTimeMillis
          for (const [address, until] of loaded.value.file.bans) if (until > now) bans.ban(address, until)
          if (Duration.isLessThan(loaded.value.age, config.peerCacheAge)) bootstrap = loaded.value.file.peers
          yield* Effect.logDebug(
            `peer file: ${loaded.value.file.peers.length} peers (${bootstrap.length > 0 ? "fresh, dialing them first" : "too old to bootstrap from"}), ${loaded.value.file.bans.size} bans`
          )
        }

        const persist = Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const active = new Map<string, number>()
          for (const [address, until] of bans.entries) if (until > now) active.set(address, until)
          yield* cache.save({ bans: active, peers: store.all().map((p) => p.endpoint) })
        }).pipe(Effect.catchTag("PeerCacheError", (e) => Effect.logWarning(`peer file not written: ${e.message}`)))

        const runOnce = Effect.gen(function* () {
          const round = stats.round()
          yield* Effect.annotateCurrentSpan({ "p2p.round": round, "p2p.peers": store.total })
          yield* persist
          const excess = store.total - config.dropTo
          if (excess <= 0) return yield* Effect.annotateCurrentSpan("p2p.round.dropped", 0)
          let dropped = 0
          for (const peer of yield* Random.shuffle(store.all())) {
            if (dropped >= excess) break
            if (peer.special) continue
            yield* peer.stop("Stopped", "dropped by a CAT round")
            dropped++
          }
          yield* Effect.annotateCurrentSpan("p2p.round.dropped", dropped)
          yield* Effect.logDebug(`CAT round ${round}: dropped ${dropped} peers`)
        }).pipe(Effect.withSpan("p2p.round"))

        // the first round one roundTime after start, then one every roundTime
        yield* Effect.sleep(config.roundTime).pipe(
          Effect.andThen(Effect.repeat(runOnce, Schedule.spaced(config.roundTime))),
          Effect.forkScoped
        )
        // written on shutdown too (Go only writes in rounds)
        yield* Effect.addFinalizer(() => persist)

        return Round.of({ bootstrap, runOnce, persist })
      })
    )
}
