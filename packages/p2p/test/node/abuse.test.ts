/**
 * Bad peers cost only themselves, on the memory transport under TestClock
 * (the attacks over real TCP are in attacks/): a peer that sends garbage is
 * closed, one that stops reading has its own parcels dropped; the node
 * keeps serving the others. Observed through `Network.total`,
 * `Network.peerMetrics` and `Network.info`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { Parcel } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { hostOf, memoryNode, settle } from "../support/memory.ts"
import { rawPeerOn, show, text } from "../support/node.ts"

describe("bad peers (memory transport, TestClock)", () => {
  it.effect("a peer that sends garbage is closed; the node keeps serving the others", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const B = yield* memoryNode(memory, hostOf(1))
      const A = yield* memoryNode(memory, hostOf(2))
      const good = yield* A.network.dial(B.endpoint)
      const bad = yield* rawPeerOn(MemoryTransport.make(memory, hostOf(3)), B.endpoint, 0xbad)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 2)
      yield* bad.connection.write([new Uint8Array([0x05, 0xff, 0x86, 0x01, 0x2a, 0x00, 0x13, 0x37])])
      const closed = yield* Effect.flip(Effect.forever(bad.connection.read))
      assert.strictEqual(closed.reason, "Closed")
      yield* settle()
      assert.strictEqual(yield* B.network.total, 1)
      yield* A.network.send(Parcel.make(good.hash, text("still here")))
      const [got] = yield* Stream.runCollect(Stream.take(B.network.messages, 1))
      assert.strictEqual(show(got!), "still here")
    })
  )

  it.effect("a peer that stops reading does not block sends to the others; its drops are counted", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const B = yield* memoryNode(memory, hostOf(1), { channelCapacity: 64 })
      const A = yield* memoryNode(memory, hostOf(2))
      yield* A.network.dial(B.endpoint)
      // completes its handshake, then never reads
      yield* rawPeerOn(MemoryTransport.make(memory, hostOf(3)), B.endpoint, 0x51010)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 2)
      const isSlow = (m: { readonly hash: string }) => m.hash.endsWith("00051010")
      const payload = new Uint8Array(16 * 1024)
      const rounds = 30
      const perRound = 20
      const receiving = yield* Effect.forkChild(Stream.runCollect(Stream.take(A.network.messages, rounds * perRound)))
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < perRound; i++) {
          yield* B.network.send(
            Parcel.make(
              Parcel.FullBroadcast,
              payload.map(() => r)
            )
          )
        }
        // the healthy peer keeps up: its queue drains (the slow one's never does)
        yield* settle()
        const healthy = [...(yield* B.network.peerMetrics).values()].find((m) => !isSlow(m))!
        assert.strictEqual(healthy.sendFillRatio, 0, `round ${r}`)
      }
      const got = yield* Fiber.join(receiving)
      assert.strictEqual(got.length, rounds * perRound)
      const metrics = [...(yield* B.network.peerMetrics).values()]
      const slowMetrics = metrics.find(isSlow)!
      const goodMetrics = metrics.find((m) => !isSlow(m))!
      assert.isAbove(slowMetrics.dropped, 0)
      // every drop has a reason: here the slow peer's queue overflowed
      assert.strictEqual(slowMetrics.dropsByReason.Full, slowMetrics.dropped)
      assert.strictEqual(goodMetrics.dropped, 0)
      assert.isAbove((yield* B.network.info).dropped, 0)
    })
  )
})
