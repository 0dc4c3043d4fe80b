/** Traffic: the per-parcel counters behind Go's size histogram and the application totals. */
import { ParcelType } from "@catp2p/p2p"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Traffic from "../../../src/internal/stats/Traffic.ts"

describe("Traffic", () => {
  it("Traffic: Go's KiB buckets, application parcels, both directions", () => {
    const t = new Traffic.Traffic()
    const at = (bytes: number) => {
      const before = Array.from(t.sizes)
      t.received(ParcelType.Ping, bytes)
      return Array.from(t.sizes).findIndex((n, i) => n !== before[i])
    }
    assert.deepStrictEqual(Traffic.SIZE_BOUNDARIES_KIB.slice(0, 4), [1, 2, 4, 8])
    assert.strictEqual(Traffic.SIZE_BOUNDARIES_KIB.at(-1), 32768)
    assert.strictEqual(at(0), 0)
    assert.strictEqual(at(1024), 0)
    assert.strictEqual(at(1025), 1)
    assert.strictEqual(at(2048), 1)
    assert.strictEqual(at(3000), 2)
    assert.strictEqual(at(32768 * 1024), 15)
    assert.strictEqual(at(32768 * 1024 + 1), 16)
    // Go observes a sent parcel as its payload + 32 bytes, a received one as its payload
    const sentAt = (bytes: number) => {
      const before = Array.from(t.sizes)
      t.sent(ParcelType.Ping, bytes)
      return Array.from(t.sizes).findIndex((n, i) => n !== before[i])
    }
    assert.strictEqual(Traffic.SENT_SIZE_OVERHEAD, 32)
    assert.strictEqual(at(1000), 0)
    assert.strictEqual(sentAt(1000), 1)
    assert.strictEqual(sentAt(992), 0)
    const fresh = new Traffic.Traffic()
    fresh.sent(ParcelType.Ping, 992)
    fresh.received(ParcelType.Ping, 2048)
    assert.deepInclude(fresh.histogram(), { count: 2, sum: 3 })
    assert.deepStrictEqual(fresh.histogram().buckets.slice(0, 3), [
      [1, 1],
      [2, 2],
      [4, 2]
    ])
    assert.strictEqual(t.appReceived, 0)
    t.received(ParcelType.Message, 10)
    t.received(ParcelType.MessagePart, 10)
    t.sent(ParcelType.Message, 10)
    t.sent(ParcelType.Pong, 10)
    assert.deepStrictEqual([t.appReceived, t.appSent], [2, 1])
    assert.strictEqual(
      Array.from(t.sizes).reduce((a, b) => a + b),
      14
    )
  })

  it.effect("Traffic.connecting counts a dial or handshake while it runs, however it ends", () =>
    Effect.gen(function* () {
      const t = new Traffic.Traffic()
      const connecting = Traffic.connecting(t)
      const seen = yield* connecting(Effect.sync(() => t.connecting))
      assert.strictEqual(seen, 1)
      yield* Effect.flip(connecting(Effect.fail("refused")))
      const fiber = yield* Effect.forkChild(connecting(Effect.never))
      yield* Effect.yieldNow
      assert.strictEqual(t.connecting, 1)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(t.connecting, 0)
    })
  )
})
