import { assert, describe, it } from "@effect/vitest"
import { Effect, Random, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Gossip } from "@catp2p/p2p"
import { Simulation } from "@catp2p/p2p/testing"

describe("Gossip", () => {
  it("remembers a payload within its window and capacity, and forgets it after", () => {
    const seen = new Gossip.SeenCache(1000, 100, 0)
    assert.isTrue(seen.add("a", 0))
    assert.isFalse(seen.add("a", 10))
    assert.isFalse(seen.add("a", 900)) // still within the window
    assert.isTrue(seen.add("a", 2100)) // two half-windows later: forgotten
    for (let i = 0; i < 1000; i++) seen.add(`x${i}`, 2200)
    assert.isAtMost(seen.size, 100) // bounded
  })

  it.effect(
    "in a 500-node network a published message reaches every node, each exactly once at the application",
    () =>
      Effect.gen(function* () {
        const sim = yield* Simulation.make({ tick: "5 seconds" })
        const scope = yield* Effect.scope
        for (let i = 0; i < 500; i++) yield* sim.start(i, scope)
        yield* Simulation.advanceUntil(
          () => {
            const s = Simulation.stats(sim)
            return s.connected && s.minPeers >= 10
          },
          "20 minutes",
          5
        )
        const origin = sim.nodes[123]!
        yield* origin.gossip.publish(new TextEncoder().encode("news from node 123"))
        // let every hop run: propagation needs no time, only turns of the scheduler
        const reached = () => sim.nodes.filter((n) => n !== undefined && n !== origin)
        const deliveredAll = Effect.map(
          Effect.forEach(reached(), (n) => n!.gossip.stats),
          (all) => all.every((s) => s.delivered >= 1)
        )
        for (let turn = 0; turn < 200 && !(yield* deliveredAll); turn++) {
          for (let i = 0; i < 50; i++) yield* Effect.yieldNow
        }
        yield* TestClock.adjust("1 second")
        for (const node of sim.nodes) {
          if (node === undefined || node === origin) continue
          const stats = yield* node.gossip.stats
          assert.strictEqual(stats.delivered, 1, `node ${node.index} delivered ${stats.delivered}`)
          assert.strictEqual(stats.dropped, 0)
        }
        assert.strictEqual((yield* origin.gossip.stats).delivered, 0)
        // and what the application reads is the payload, from a neighbour
        const [first] = yield* Stream.runCollect(Stream.take(sim.nodes[7]!.gossip.messages, 1))
        assert.strictEqual(new TextDecoder().decode(first!.payload), "news from node 123")
        assert.isTrue(sim.nodes[7]!.store.get(first!.from) !== undefined)
      }).pipe(Random.withSeed(9)),
    { timeout: 300_000 }
  )
})
