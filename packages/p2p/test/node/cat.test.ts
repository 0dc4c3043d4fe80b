import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Random, Result, Scope } from "effect"
import { TestClock } from "effect/testing"
import { Config } from "@catp2p/p2p"
import { Simulation } from "@catp2p/p2p/testing"

// Whole networks converging (100 and 1,000 nodes): cat.scale.test.ts (npm run test:scale);
// each CAT rule on its own: cat-rounds, cat-replenish and cat-peers.test.ts.
describe("CAT peering in simulation (in-memory transport, TestClock)", () => {
  it.effect("special peers survive every round", () =>
    Effect.gen(function* () {
      const sim = yield* Simulation.make({
        config: {
          targetPeers: 8,
          maxPeers: 10,
          maxIncoming: 10,
          dropTo: 4,
          minReseed: 3,
          roundTime: Duration.minutes(1)
        },
        // special links as deployments use them: configured on both ends
        configOf: (i): Partial<Config.Config> => {
          const list =
            i === 1
              ? `${Simulation.hostOf(0)}:8108,${Simulation.hostOf(2)}:8108`
              : i === 0 || i === 2
                ? `${Simulation.hostOf(1)}:8108`
                : ""
          return list === "" ? {} : { special: Result.getOrThrow(Config.parseSpecial(list)) }
        }
      })
      const scope = yield* Effect.scope
      for (let i = 0; i < 20; i++) yield* sim.start(i, scope)
      yield* Simulation.advanceUntil(() => Simulation.stats(sim).minPeers >= 3, "5 minutes")
      const node = sim.nodes[1]!
      const hosts = Effect.map(node.network.peers, (peers) => new Set(peers.map((p) => p.endpoint.ip)))
      for (let round = 0; round < 5; round++) {
        yield* TestClock.adjust("1 minute")
        // rounds (every minute, dropping down to 4 of 8+ peers) never drop them
        yield* TestClock.adjust("2 seconds")
        const now = yield* hosts
        assert.isTrue(now.has(Simulation.hostOf(0)), `round ${round}: lost special ${Simulation.hostOf(0)}`)
        assert.isTrue(now.has(Simulation.hostOf(2)), `round ${round}: lost special ${Simulation.hostOf(2)}`)
      }
      assert.isAtLeast(yield* node.network.rounds, 5)
    }).pipe(Random.withSeed(3))
  )

  it.effect("a node restarted within PeerCacheAge reconnects to its previous peers without the seeds", () =>
    Effect.gen(function* () {
      const sim = yield* Simulation.make({
        config: { targetPeers: 5, maxPeers: 8, maxIncoming: 8, dropTo: 6, minReseed: 2 }
      })
      const scope = yield* Effect.scope
      // node 7 runs in a scope of its own, so it can be stopped and restarted
      const nodeScope = yield* Scope.make()
      for (let i = 0; i < 15; i++) yield* sim.start(i, i === 7 ? nodeScope : scope)
      yield* Simulation.advanceUntil(() => Simulation.stats(sim).minPeers >= 5, "5 minutes")
      const node = sim.nodes[7]!
      const before = new Set((yield* node.network.peers).map((p) => p.endpoint.ip))
      assert.isAtLeast(before.size, 2)
      yield* Scope.close(nodeScope, Exit.void) // writes its peer file on the way down
      sim.memory.setReachable(Simulation.hostOf(0), false) // the seed is gone
      const again = yield* sim.start(7, scope)
      yield* TestClock.adjust("5 seconds")
      const after = new Set((yield* again.network.peers).map((p) => p.endpoint.ip))
      const previous = [...after].filter((h) => before.has(h))
      assert.isAtLeast(previous.length, Math.min(2, before.size))
      assert.isFalse(after.has(Simulation.hostOf(0)))
    }).pipe(Random.withSeed(5))
  )
})
