/**
 * Length claims: a length prefix never allocates what it claims; memory
 * follows what arrives, within the 16 KiB pre-handshake cap, the 128 MiB
 * frame cap and the node's input budget; a claimed frame that does not
 * arrive is closed by the progress deadline, long before the 5-minute read
 * deadline. Go allocates the claimed size (48 MiB → 2–5 GiB with a handful of
 * connections claiming ~1 GiB after valid type definitions).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import { Parcel } from "@catp2p/p2p"
import { eventually, receive } from "../support/node.ts"
import {
  assertLive,
  assertRetained,
  attacker,
  closedWithin,
  connectRaw,
  fds,
  fdsBackTo,
  handshakeFrom,
  peakRssGrowth,
  readUntilClosed,
  report,
  retainedHeapMiB,
  send,
  startTarget,
  times
} from "../support/attack.ts"

/** Peak RSS growth bound, MiB: the 8 MiB input budget plus garbage, never the claims (GiBs). */
const RSS_BOUND_MIB = 160
/** Heap retained once the attack is over, MiB. */
const RETAINED_BOUND_MIB = 8

const u32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])
const cat = (...parts: ReadonlyArray<Uint8Array | ReadonlyArray<number>>) =>
  new Uint8Array(parts.flatMap((p) => Array.from(p)))
/** A gob message length prefix (uint, big-endian with a negated byte count). */
const gobLength = (n: number) => cat([0xfc], u32(n))
const PBUF = [0x70, 0x62, 0x75, 0x66]

describe("length-claim attacks", () => {
  it.live("before the handshake: V11 and gob claims are refused or capped at 16 KiB", () =>
    Effect.gen(function* () {
      const node = yield* startTarget({ discourageTime: Duration.zero })
      const baseline = fds()
      const heap = retainedHeapMiB()
      const [, growth] = yield* peakRssGrowth(
        Effect.scoped(
          times(40, 20, (i) =>
            Effect.gen(function* () {
              const s = yield* connectRaw(node.endpoint, attacker(i))
              switch (i % 4) {
                case 0: // V11 frame of 4 GiB claimed
                  yield* send(s, cat(PBUF, u32(0xffffffff)))
                  break
                case 1: // gob message of 1 GiB claimed (over the 128 MiB cap)
                  yield* send(s, gobLength(0x40000000))
                  break
                case 2: // gob message of 100 MB claimed, then bytes: closed once 16 KiB arrived
                  yield* send(s, cat(gobLength(100_000_000), new Uint8Array(64 * 1024)))
                  break
                default: // V11 frame of 16 KiB + 1 claimed (above the handshake cap)
                  yield* send(s, cat(PBUF, u32(16_385), new Uint8Array(1024)))
              }
              yield* closedWithin(s, "3 seconds")
            })
          )
        )
      )
      yield* report("pre-handshake claims", { connections: 40, rssGrowthMiB: growth.toFixed(1) })
      assert.isBelow(growth, RSS_BOUND_MIB)
      assert.strictEqual(yield* node.network.total, 0)
      yield* fdsBackTo(baseline)
      yield* assertRetained(heap, RETAINED_BOUND_MIB)
      yield* assertLive(node)
    })
  )

  it.live("after the handshake: a frame claimed above 128 MiB closes the peer at once, as misbehaviour", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const baseline = fds()
      const cases = [
        [11, false],
        [10, false], // before V10Msg's type definitions
        [10, true], // after them
        [9, true] // V9Msg's definitions came with the handshake
      ] as const
      yield* Effect.scoped(
        Effect.forEach(cases, ([v, afterDefinitions], i) =>
          Effect.gen(function* () {
            const { connection, settled } = yield* handshakeFrom(node.endpoint, attacker(i), v)
            if (v === 11) {
              yield* connection.write([u32(134_217_729)])
            } else {
              // one real parcel carries the stream's type definitions; then a gob length of ~1 GiB
              if (afterDefinitions) {
                yield* connection.write([settled.protocol.encodeParcel(Parcel.make("", new Uint8Array([1])))])
              }
              yield* connection.write([gobLength(0x3fffffff)])
            }
            yield* readUntilClosed(connection, "3 seconds")
          })
        )
      )
      // counted as the peers' scopes close, just after their sockets
      yield* eventually(
        "4 misbehaviours counted",
        Effect.sync(() => node.probe.stats().misbehaviour.FrameTooLarge),
        (n) => n === 4
      )
      assert.strictEqual(node.probe.stats().discouraged, 4)
      yield* fdsBackTo(baseline)
      yield* assertLive(node)
    })
  )

  it.live("a claimed frame that stalls is closed by the progress deadline, long before the read deadline", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const baseline = fds()
      yield* Effect.scoped(
        Effect.forEach(
          [11, 10, 9] as const,
          (v, i) =>
            Effect.gen(function* () {
              const { connection, settled } = yield* handshakeFrom(node.endpoint, attacker(10 + i), v)
              // 1 MiB claimed (granted: 1 MiB for V11, 2 MiB for gob, within the
              // 8 MiB budget), then a few bytes and silence
              if (v === 11) yield* connection.write([u32(1_048_576), new Uint8Array(100)])
              else {
                yield* connection.write([settled.protocol.encodeParcel(Parcel.make("", new Uint8Array([1])))])
                yield* connection.write([gobLength(1_048_576), new Uint8Array(100)])
              }
              yield* readUntilClosed(connection, "5 seconds")
            }),
          { concurrency: "unbounded" }
        )
      )
      yield* eventually(
        "3 stalls counted",
        Effect.sync(() => node.probe.stats().misbehaviour.StalledFrame),
        (n) => n === 3
      )
      // a stall may be a bad link: counted, not discouraged
      assert.strictEqual(node.probe.stats().discouraged, 0)
      yield* fdsBackTo(baseline)
      yield* assertLive(node)
    })
  )

  it.live("claims larger than the whole input budget close their peers before their bytes are read", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const baseline = fds()
      const heap = retainedHeapMiB()
      const chunk = new Uint8Array(256 * 1024)
      const [, growth] = yield* peakRssGrowth(
        Effect.scoped(
          Effect.forEach(
            Array.from({ length: 12 }, (_, i) => i),
            (i) =>
              Effect.gen(function* () {
                const v = ([11, 10, 9] as const)[i % 3]!
                const { connection, settled } = yield* handshakeFrom(node.endpoint, attacker(20 + i), v)
                if (v === 11) yield* connection.write([u32(64 * 1024 * 1024)])
                else {
                  yield* connection.write([settled.protocol.encodeParcel(Parcel.make("", new Uint8Array([1])))])
                  yield* connection.write([gobLength(64 * 1024 * 1024)])
                }
                // 4 MiB each, 48 MiB offered in all, against an 8 MiB budget
                for (let k = 0; k < 16; k++) yield* Effect.ignore(connection.write([chunk]))
                yield* readUntilClosed(connection, "10 seconds")
              }),
            { concurrency: "unbounded" }
          )
        )
      )
      const budget = node.probe.budget
      yield* report("input budget", {
        limitMiB: budget.limit / 1048576,
        peakMiB: (budget.peak / 1048576).toFixed(2),
        dropped: budget.dropped,
        rssGrowthMiB: growth.toFixed(1)
      })
      // a 64 MiB frame can never be granted 8 MiB: every peer is closed (OverBudget)
      assert.strictEqual(budget.dropped, 12)
      // nothing of the claims is held: only the bytes read before the prefix
      assert.isBelow(budget.peak, 1024 * 1024)
      assert.isBelow(growth, RSS_BOUND_MIB)
      yield* fdsBackTo(baseline)
      // what is left is the gob peers' 1-byte parcels, queued for an application that does not read
      assert.strictEqual(budget.total, budget.queued)
      yield* assertRetained(heap, RETAINED_BOUND_MIB)
      yield* assertLive(node)
    })
  )

  it.live("an honest large parcel on a slow link still passes", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const honest = yield* handshakeFrom(node.endpoint, "127.0.0.1", 11, 0x51070)
      const payload = new Uint8Array(12 * 1024).map((_, i) => i & 0xff)
      const frame = honest.settled.protocol.encodeParcel(Parcel.make("", payload))
      const received = yield* Effect.forkChild(receive(node, 1))
      // 2 KiB per 250 ms: 8 KiB/s, above the 1 KiB/s minimum; 1.5 s for the frame, over the 1 s window
      for (let at = 0; at < frame.length; at += 2048) {
        yield* honest.connection.write([frame.subarray(at, at + 2048)])
        yield* Effect.sleep("250 millis")
      }
      const [got] = yield* Fiber.join(received)
      assert.deepStrictEqual(got?.payload, payload)
      assert.strictEqual(node.probe.stats().misbehaviour.StalledFrame, 0)
      assert.strictEqual(yield* node.network.total, 1)
    })
  )
})
