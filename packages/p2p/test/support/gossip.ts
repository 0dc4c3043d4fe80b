import { assert } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Simulation } from "@catp2p/p2p/testing"

/**
 * Starts `nodes` nodes on the memory transport, lets them peer (every node
 * with `minPeers` peers, one connected network), publishes one message from
 * node `origin` and checks that every other node's application got it exactly
 * once and that the origin's did not. Run it under `it.effect` (TestClock).
 */
export const publishReachesEveryNodeOnce = (options: {
  readonly nodes: number
  readonly minPeers: number
  readonly origin: number
  readonly reader: number
}) =>
  Effect.gen(function* () {
    const sim = yield* Simulation.make({ tick: "5 seconds" })
    const scope = yield* Effect.scope
    for (let i = 0; i < options.nodes; i++) yield* sim.start(i, scope)
    yield* Simulation.advanceUntil(
      () => {
        const s = Simulation.stats(sim)
        return s.connected && s.minPeers >= options.minPeers
      },
      "20 minutes",
      5
    )
    const origin = sim.nodes[options.origin]!
    const news = `news from node ${options.origin}`
    yield* origin.gossip.publish(new TextEncoder().encode(news))
    // let every hop run: propagation needs no time, only turns of the scheduler
    const others = sim.nodes.filter((n) => n !== undefined && n !== origin)
    const deliveredAll = Effect.map(
      Effect.forEach(others, (n) => n!.gossip.stats),
      (all) => all.every((s) => s.delivered >= 1)
    )
    for (let turn = 0; turn < 200 && !(yield* deliveredAll); turn++) {
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow
    }
    yield* TestClock.adjust("1 second")
    for (const node of others) {
      const stats = yield* node!.gossip.stats
      assert.strictEqual(stats.delivered, 1, `node ${node!.index} delivered ${stats.delivered}`)
      assert.strictEqual(stats.dropped, 0)
    }
    assert.strictEqual((yield* origin.gossip.stats).delivered, 0)
    // and what the application reads is the payload, from a neighbour
    const reader = sim.nodes[options.reader]!
    const [first] = yield* Stream.runCollect(Stream.take(reader.gossip.messages, 1))
    assert.strictEqual(new TextDecoder().decode(first!.payload), news)
    assert.isTrue((yield* reader.network.peers).some((p) => p.hash === first!.from))
  })
