import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { Parcel } from "@catp2p/p2p"
import { eventually, rawPeer, receive, show, startNode, text } from "./node-support.ts"

describe("bad peers", () => {
  it.live("a peer that sends garbage is closed; the node keeps serving the others", () =>
    Effect.gen(function* () {
      const B = yield* startNode()
      const A = yield* startNode()
      const good = yield* A.network.dial(B.endpoint)
      const bad = yield* rawPeer(B.endpoint, 0xbad)
      yield* eventually("B has both", B.network.total, (n) => n === 2)
      yield* bad.connection.write([new Uint8Array([0x05, 0xff, 0x86, 0x01, 0x2a, 0x00, 0x13, 0x37])])
      const closed = yield* Effect.flip(Effect.forever(bad.connection.read))
      assert.strictEqual(closed.reason, "Closed")
      yield* eventually("B dropped the bad peer", B.network.total, (n) => n === 1)
      assert.strictEqual(B.stats.counters().invalid, 1)
      yield* A.network.send(Parcel.make(good.hash, text("still here")))
      assert.strictEqual(show((yield* receive(B, 1))[0]!), "still here")
    })
  )

  it.live("a peer that stops reading does not block sends to the others; its drops are counted", () =>
    Effect.gen(function* () {
      const B = yield* startNode({ channelCapacity: 64 })
      const A = yield* startNode()
      yield* A.network.dial(B.endpoint)
      const slow = yield* rawPeer(B.endpoint, 0x51010)
      yield* eventually("B has both", B.network.total, (n) => n === 2)
      const payload = new Uint8Array(16 * 1024)
      const rounds = 100
      const perRound = 20
      const receiving = yield* Effect.forkChild(receive(A, rounds * perRound))
      const healthy = B.store.all().find((p) => !p.hash.endsWith("00051010"))!
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < perRound; i++) {
          yield* B.network.send(
            Parcel.make(
              Parcel.FullBroadcast,
              payload.map(() => r)
            )
          )
        }
        // the healthy peer keeps up: wait until its queue is drained (the slow one's never is)
        yield* eventually(
          "healthy queue drained",
          Effect.sync(() => healthy.queue.size),
          (n) => n === 0
        )
      }
      const got = yield* Fiber.join(receiving)
      assert.strictEqual(got.length, rounds * perRound)
      const metrics = yield* B.network.peerMetrics
      const slowMetrics = [...metrics.values()].find((m) => m.hash.endsWith("00051010"))!
      const goodMetrics = [...metrics.values()].find((m) => !m.hash.endsWith("00051010"))!
      assert.isAbove(slowMetrics.dropped, 0)
      // every drop has a reason: here the slow peer's queue overflowed
      assert.strictEqual(slowMetrics.dropsByReason.Full, slowMetrics.dropped)
      assert.strictEqual(goodMetrics.dropped, 0)
      assert.isAbove((yield* B.network.info).dropped, 0)
      void slow
    })
  )
})
