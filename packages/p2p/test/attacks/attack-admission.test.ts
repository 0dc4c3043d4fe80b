/**
 * Admission: attackers that complete handshakes from 50 distinct addresses
 * and then idle (Go: they take all 36 incoming slots and every honest
 * newcomer after them is turned away). catp2p caps incoming peers at
 * `maxIncoming`; a peer that has done nothing useful since its handshake can
 * be evicted once `EVICT_IDLE_AGE_MS` old, so an honest newcomer takes the
 * slot of one of them (see `Eviction`, unit-tested in eviction.test.ts; the floods with
 * probes during them are in admission.test.ts, in memory under TestClock).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { Probe } from "@catp2p/p2p/testing"
import { eventually, startNode } from "../support/node.ts"
import { attacker, fds, fdsBackTo, handshakeFrom, startTarget, times } from "../support/attack.ts"

describe("admission", () => {
  it.live("50 idle attacker handshakes fill at most maxIncoming; an honest newcomer still gets in", () =>
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
          // within EVICT_IDLE_AGE_MS of each other they are rejected; older idle ones make room
          assert.strictEqual(admitted + rejected, 50)
          yield* eventually("the node is full", node.network.total, (n) => n === 36)
          assert.isAtMost((yield* node.network.peers).filter((p) => p.incoming).length, 36)
          // once they are past EVICT_IDLE_AGE_MS, an honest newcomer evicts an idle attacker
          yield* Effect.sleep(Duration.millis(2 * Probe.limits.evictIdleAgeMs))
          const honest = yield* startNode()
          yield* honest.network.dial(node.endpoint)
          assert.isAtLeast(node.probe.stats().evicted, 1)
          assert.isAtMost((yield* node.network.peers).filter((p) => p.incoming).length, 36)
        })
      )
      yield* eventually("the attackers gone", node.network.total, (n) => n === 0)
      yield* fdsBackTo(baseline)
    })
  )
})
