/**
 * The node's graceful stop (memory transport, TestClock): what the
 * application sent before the node's scope closed is still written, for up
 * to `shutdownFlushTimeout`; a send after fails with `NodeClosed`; what a
 * peer that never reads did not take is dropped at the deadline, and a
 * warning says how much.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import { type Config, Parcel } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { operatorLogs } from "../support/log.ts"
import { hostOf, memoryNode, scriptedPeer, settle } from "../support/memory.ts"
import { show, text } from "../support/node.ts"

/** Node A (in a scope of its own, closed by the test) dialed by node B, which collects what it receives. */
const pair = (overrides: Partial<Config.Config> = {}) =>
  Effect.gen(function* () {
    const memory = yield* MemoryTransport.makeNetwork()
    const scope = yield* Scope.make()
    const a = yield* memoryNode(memory, hostOf(1), overrides).pipe(Scope.provide(scope))
    const b = yield* memoryNode(memory, hostOf(2))
    yield* b.network.dial(a.endpoint)
    yield* settle()
    const received: Array<string> = []
    yield* Effect.forkScoped(Stream.runForEach(b.network.messages, (p) => Effect.sync(() => received.push(show(p)))))
    return { a, b, scope, received }
  })

describe("graceful stop (memory transport, TestClock)", () => {
  it.effect("a parcel sent right before the node closes arrives; a send after fails with NodeClosed", () =>
    Effect.gen(function* () {
      const { a, scope, received } = yield* pair()
      assert.strictEqual(yield* a.network.send(Parcel.make(Parcel.FullBroadcast, text("last words"))), 1)
      yield* Scope.close(scope, Exit.void)
      yield* settle()
      assert.deepStrictEqual(received, ["last words"])
      const after = yield* Effect.flip(a.network.send(Parcel.make(Parcel.FullBroadcast, text("too late"))))
      assert.strictEqual(after._tag, "NodeClosed")
      const blocking = yield* Effect.flip(a.network.sendBlocking(Parcel.make(Parcel.FullBroadcast, text("too late"))))
      assert.strictEqual(blocking._tag, "NodeClosed")
    })
  )

  it.effect("with shutdownFlushTimeout 0 the same parcel is dropped, and the log says so", () =>
    Effect.gen(function* () {
      const logs = operatorLogs()
      yield* Effect.gen(function* () {
        const { a, scope, received } = yield* pair({ shutdownFlushTimeout: Duration.zero })
        yield* a.network.send(Parcel.make(Parcel.FullBroadcast, text("last words")))
        yield* Scope.close(scope, Exit.void)
        yield* settle()
        assert.deepStrictEqual(received, [])
      }).pipe(Effect.provide(logs.layer))
      const warnings = logs.at("Warn").filter((m) => m.startsWith("stopping: dropped"))
      assert.strictEqual(warnings.length, 1)
      assert.match(warnings[0]!, /dropped 1 parcels \(10 bytes\)/)
    })
  )

  it.effect("a peer that never reads: the close ends at the deadline and the log names what was dropped", () =>
    Effect.gen(function* () {
      const logs = operatorLogs()
      yield* Effect.gen(function* () {
        const memory = yield* MemoryTransport.makeNetwork()
        const sink = yield* scriptedPeer(memory, hostOf(9), { reads: false, pongs: false })
        const scope = yield* Scope.make()
        const a = yield* memoryNode(memory, hostOf(1), { shutdownFlushTimeout: Duration.seconds(2) }).pipe(
          Scope.provide(scope)
        )
        yield* a.network.dial(sink.endpoint)
        // 40 × 64 KiB: far more than the memory connection buffers (256 KiB)
        for (let i = 0; i < 40; i++) yield* a.network.send(Parcel.make(Parcel.FullBroadcast, new Uint8Array(65_536)))
        yield* settle()
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* settle()
        assert.isUndefined(closing.pollUnsafe(), "the close waits for the flush")
        yield* TestClock.adjust(Duration.millis(1_999))
        yield* settle()
        assert.isUndefined(closing.pollUnsafe(), "still within the deadline")
        yield* TestClock.adjust(Duration.millis(1))
        yield* Fiber.join(closing)
      }).pipe(Effect.provide(logs.layer))
      const warnings = logs.at("Warn").filter((m) => m.startsWith("stopping: dropped"))
      assert.strictEqual(warnings.length, 1)
      const m = /dropped (\d+) parcels \((\d+) bytes\) not sent to (\S+) .*shutdownFlushTimeout 2s/.exec(warnings[0]!)
      assert.isNotNull(m)
      assert.isAbove(Number(m![1]), 30)
      assert.strictEqual(Number(m![2]), Number(m![1]) * 65_536)
      assert.include(m![3]!, hostOf(9))
    })
  )
})
