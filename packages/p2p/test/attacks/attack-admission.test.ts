/**
 * Admission: attackers that complete handshakes from 50 distinct addresses
 * (Go: they take all 36 incoming slots and every honest newcomer after them
 * is turned away). catp2p caps incoming peers at `maxIncoming`, and a full
 * node answers a newcomer with a rejection offering alternatives at once;
 * once the attackers' connections are old enough to be evicted, a newcomer
 * takes the slot of one of them (see `Eviction`, unit-tested in
 * eviction.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { eventually, startNode } from "../node-support.ts"
import { attacker, fds, fdsBackTo, handshakeFrom, startTarget, times } from "./support.ts"

describe("admission", () => {
  it.live("50 attacker handshakes fill at most maxIncoming; a newcomer is rejected with alternatives at once", () =>
    Effect.gen(function* () {
      const node = yield* startTarget({ maxIncoming: 36, maxPeers: 36 })
      const baseline = fds()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const results = yield* times(50, 10, (i) => Effect.result(handshakeFrom(node.endpoint, attacker(i), 11)))
          const admitted = results.filter((r) => r._tag === "Success").length
          const rejected = results.filter(
            (r) => r._tag === "Failure" && r.failure._tag === "HandshakeError" && r.failure.reason._tag === "Rejected"
          ).length
          assert.strictEqual(admitted + rejected, 50)
          yield* eventually("the node is full", node.network.total, (n) => n === 36)
          assert.isAtMost(node.store.incoming, 36)
          // an honest newcomer is answered with a rejection offering alternatives
          const honest = yield* startNode()
          const refused = yield* Effect.flip(honest.network.dial(node.endpoint))
          assert.strictEqual(refused._tag, "HandshakeError")
          if (refused._tag === "HandshakeError" && refused.reason._tag === "Rejected") {
            assert.isAbove(refused.reason.alternatives.length, 0)
          } else assert.fail(`expected a rejection, got ${refused.message}`)
        })
      )
      yield* eventually("the attackers gone", node.network.total, (n) => n === 0)
      yield* fdsBackTo(baseline)
    })
  )
})
