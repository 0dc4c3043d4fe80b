import { assert, describe, it } from "@effect/vitest"
import { Random } from "effect"
import { Gossip } from "@catp2p/p2p"
import { publishReachesEveryNodeOnce } from "./support/gossip.ts"

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
    "in a 30-node network a published message reaches every node, each exactly once at the application",
    // 500 nodes: gossip.scale.test.ts (npm run test:scale)
    () => publishReachesEveryNodeOnce({ nodes: 30, minPeers: 8, origin: 12, reader: 7 }).pipe(Random.withSeed(9)),
    { timeout: 120_000 }
  )
})
