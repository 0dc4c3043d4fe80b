/**
 * Attacks with connections that never become peers: idle connections, half
 * handshakes, connect-and-close floods. Each case: the attacking connections
 * are closed, descriptors return to baseline, RSS growth stays under the
 * stated bound, and a fresh honest node can still handshake and get a parcel
 * through.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { Wire } from "@catp2p/p2p"
import { TEST_NETWORK } from "../support/node.ts"
import {
  assertLive,
  assertRetained,
  attacker,
  closedWithin,
  connectRaw,
  fds,
  fdsBackTo,
  peakRssGrowth,
  report,
  retainedHeapMiB,
  send,
  startTarget,
  times
} from "../support/attack.ts"

/** Peak RSS growth bound for these cases, MiB (garbage included; a connection costs a few KiB). */
const RSS_BOUND_MIB = 128
/** Heap retained once the attack is over, MiB. */
const RETAINED_BOUND_MIB = 8

const hello = (version: 9 | 10 | 11) =>
  new Wire.Negotiation.Outgoing(
    { network: TEST_NETWORK, protocolVersion: version, protocolVersionMinimum: 9, nodeId: 7, listenPort: "9" },
    5n
  ).hello

describe("connection attacks", () => {
  it.live("300 idle connections: refused at admission or closed at the handshake timeout", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const baseline = fds()
      const heap = retainedHeapMiB()
      const [, growth] = yield* peakRssGrowth(
        Effect.scoped(
          Effect.gen(function* () {
            const sockets = yield* times(300, 50, (i) => connectRaw(node.endpoint, attacker(i % 30)))
            yield* Effect.forEach(sockets, (s) => closedWithin(s, "5 seconds"), { concurrency: "unbounded" })
          })
        )
      )
      yield* report("300 idle connections", {
        rssGrowthMiB: growth.toFixed(1),
        refusedPending: node.probe.stats().refusedPending,
        displaced: node.probe.stats().displaced
      })
      assert.isBelow(growth, RSS_BOUND_MIB)
      // 4 pending per IP at most, 32 in all: the rest were turned away at once, or ended for a newer connection
      assert.isAbove(node.probe.stats().refusedPending + node.probe.stats().displaced, 200)
      assert.strictEqual(yield* node.network.total, 0)
      yield* fdsBackTo(baseline)
      yield* assertLive(node)
      yield* fdsBackTo(baseline)
      yield* assertRetained(heap, RETAINED_BOUND_MIB)
    })
  )

  it.live("half handshakes hold no slot an honest newcomer needs, and are closed at the timeout", () =>
    Effect.gen(function* () {
      // a long handshake timeout: the half handshakes would hold their slots for 5 s
      const node = yield* startTarget({ handshakeTimeout: Duration.seconds(5) })
      const baseline = fds()
      const heap = retainedHeapMiB()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const sockets = yield* times(48, 16, (i) => connectRaw(node.endpoint, attacker(i % 12)))
          yield* Effect.forEach(sockets, (s, i) => {
            const h = hello(([9, 10, 11] as const)[i % 3]!)
            return send(s, h.subarray(0, Math.floor(h.length / 2)))
          })
          // every pending slot is taken (12 IPs × 4 ≥ 32); a newcomer displaces the oldest half handshake at once
          yield* assertLive(node)
          assert.isAtLeast(node.probe.stats().displaced, 1)
          yield* Effect.forEach(sockets, (s) => closedWithin(s, "8 seconds"), { concurrency: "unbounded" })
        })
      )
      assert.strictEqual(yield* node.network.total, 0)
      yield* fdsBackTo(baseline)
      yield* report("half handshakes", { displaced: node.probe.stats().displaced })
      yield* assertRetained(heap, RETAINED_BOUND_MIB)
    })
  )

  it.live("2,000 connect-and-close: no descriptor left behind, the node stays live", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const baseline = fds()
      const heap = retainedHeapMiB()
      const [, growth] = yield* peakRssGrowth(
        times(2000, 100, (i) =>
          Effect.scoped(
            Effect.andThen(connectRaw(node.endpoint, attacker(i % 40)), (s) => Effect.sync(() => s.socket.destroy()))
          )
        )
      )
      yield* report("2,000 connect-and-close", { rssGrowthMiB: growth.toFixed(1) })
      assert.isBelow(growth, RSS_BOUND_MIB)
      yield* fdsBackTo(baseline)
      yield* assertLive(node)
      yield* fdsBackTo(baseline)
      yield* assertRetained(heap, RETAINED_BOUND_MIB)
    })
  )
})
