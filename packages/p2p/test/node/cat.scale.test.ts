/**
 * CAT peering at scale (npm run test:scale): the in-memory simulation with
 * 100 nodes over two rounds and 1,000 nodes to convergence. The rules at a
 * size the default suite can afford are in cat.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Simulation } from "@catp2p/p2p/testing"

describe("CAT peering at scale (in-memory transport, TestClock)", () => {
  it.live(
    "100 nodes with one seed converge, stay connected and within bounds, and churn every round",
    () =>
      Effect.gen(function* () {
        const report = yield* Simulation.run({ nodes: 100, rounds: 2, seed: 7 })
        assert.isTrue(report.connected)
        assert.isAtLeast(report.minPeers, 10) // MinReseed
        assert.isAtMost(report.maxPeers, 36) // MaxPeers
        assert.isAbove(report.churn, 0.05)
        assert.strictEqual(report.rounds, 2)
      }),
    { timeout: 120_000 }
  )

  it.live(
    "1,000 nodes with one seed converge into one connected network",
    () =>
      Effect.gen(function* () {
        const report = yield* Simulation.run({ nodes: 1000, rounds: 0, seed: 11, tick: "5 seconds" })
        assert.isTrue(report.connected)
        assert.isAtLeast(report.minPeers, 10)
        assert.isAtMost(report.maxPeers, 36)
        // the wall time is printed, not asserted: speed belongs to benchmarks
        console.log(`1,000-node simulation: ${JSON.stringify(report)}`)
      }),
    { timeout: 300_000 }
  )
})
