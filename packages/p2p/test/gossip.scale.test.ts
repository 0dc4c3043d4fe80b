/**
 * Gossip at scale (npm run test:scale): one message published in a
 * 500-node in-memory network reaches every node exactly once. The same check
 * on a small network is in gossip.test.ts.
 */
import { describe, it } from "@effect/vitest"
import { Random } from "effect"
import { publishReachesEveryNodeOnce } from "./support/gossip.ts"

describe("Gossip at scale", () => {
  it.effect(
    "in a 500-node network a published message reaches every node, each exactly once at the application",
    () => publishReachesEveryNodeOnce({ nodes: 500, minPeers: 10, origin: 123, reader: 7 }).pipe(Random.withSeed(9)),
    { timeout: 300_000 }
  )
})
