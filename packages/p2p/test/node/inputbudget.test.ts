/**
 * The input budget's policy, deterministic: in-memory nodes under TestClock.
 * A big frame that does not fit waits (its peer is not read, and neither its
 * read deadline nor its progress deadline runs) until the application takes
 * what fills the budget; then it is delivered intact.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Endpoint, Network, P2PLayer, Parcel } from "@catp2p/p2p"
import { MemoryTransport, Probe } from "@catp2p/p2p/testing"
import { testConfig } from "../support/node.ts"

const KiB = 1024

const start = (memory: MemoryTransport.MemoryNetwork, host: string, overrides: Parameters<typeof testConfig>[0] = {}) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      P2PLayer.layerWith(
        testConfig({ bindIp: host, listenPort: "8108", targetPeers: 1, minReseed: 0, ...overrides }),
        MemoryTransport.layerHost(memory, host)
      )
    )
    const network = Context.get(context, Network.Network)
    return {
      network,
      // the input budget and which peer waits for it (state no public API shows)
      probe: yield* Effect.provideContext(Probe.make, context),
      endpoint: Endpoint.unsafeMake(host, "8108")
    }
  })

/** Lets the in-memory fibers run until `done` holds (no clock involved: each round lets other work run). */
const settle = (done: () => boolean, state: () => unknown = () => "") =>
  Effect.gen(function* () {
    for (let i = 0; i < 2_000 && !done(); i++) yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
    assert.isTrue(done(), `settled (${JSON.stringify(state())})`)
  })

const payloadOf = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 7 + seed) & 0xff)

describe("input budget", () => {
  // one 200 KiB frame at a time: protocol 11 reserves the frame, gob twice
  // the message (its chunks, then the copy that assembles it)
  it.effect.each([
    [11, 256 * KiB],
    [10, 512 * KiB]
  ] as const)(
    "protocol %i: a big frame that does not fit waits, without deadlines, until the application takes what fills it",
    ([protocolVersion, inputBudget]) =>
      Effect.gen(function* () {
        const memory = yield* MemoryTransport.makeNetwork()
        // progress window 1 s, read deadline 5 s
        const b = yield* start(memory, "10.9.1.1", {
          protocolVersion,
          inputBudget,
          frameProgressWindow: Duration.seconds(1),
          frameProgressRate: 1024,
          readDeadline: Duration.seconds(5)
        })
        const budget = b.probe.budget
        const payloads = [payloadOf(200 * KiB, 1), payloadOf(200 * KiB, 2)]
        for (const [i, payload] of payloads.entries()) {
          const a = yield* start(memory, `10.9.1.${i + 2}`, { protocolVersion })
          const peer = yield* a.network.dial(b.endpoint)
          yield* a.network.send(Parcel.make(peer.hash, payload))
        }
        // one parcel waits in the application queue; the other peer waits for the budget
        const budgetWaits = () => budget.waited === 1 && budget.queued === 200 * KiB
        yield* settle(budgetWaits, () => ({ ...budget }))
        const peers = yield* b.network.peers
        assert.strictEqual(peers.length, 2)
        const [waiting] = b.probe.waitingForBudget()
        assert.isDefined(waiting)
        assert.isAtMost(budget.peak, budget.limit)

        // far past the progress window and the read deadline: the waiting peer
        // is not closed (the idle one may be: its read deadline runs)
        const waiter = peers.find((p) => p.hash === waiting)!
        for (let i = 0; i < 30; i++) yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(b.probe.waitingForBudget(), [waiter.hash])
        assert.isTrue(Option.isNone(yield* waiter.closedYet))
        assert.strictEqual(budget.dropped, 0)

        // the application reads: the waiting frame is granted and delivered intact
        const got = yield* b.network.messages.pipe(Stream.take(2), Stream.runCollect)
        const received = got.map((p) => p.payload).sort((x, y) => x[0]! - y[0]!)
        assert.deepStrictEqual(received, payloads)
        yield* settle(() => budget.total === 0)
        assert.isAtMost(budget.peak, budget.limit)
        assert.deepStrictEqual(b.probe.waitingForBudget(), [])
        assert.isTrue(Option.isNone(yield* waiter.closedYet))
      })
  )

  it.effect("a frame larger than the whole budget closes its peer at once (OverBudget); small frames never wait", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const b = yield* start(memory, "10.9.2.1", { inputBudget: 128 * KiB })
      const a = yield* start(memory, "10.9.2.2")
      const peer = yield* a.network.dial(b.endpoint)
      // small parcels: counted while queued, over the budget if need be, never waiting
      const small = payloadOf(60 * KiB, 3)
      for (let i = 0; i < 3; i++) yield* a.network.send(Parcel.make(peer.hash, small))
      yield* settle(
        () => b.probe.budget.queued === 3 * small.length,
        () => ({ ...b.probe.budget })
      )
      assert.strictEqual(b.probe.budget.waited, 0)
      yield* a.network.send(Parcel.make(peer.hash, payloadOf(200 * KiB, 4)))
      yield* settle(() => b.probe.budget.dropped === 1)
      yield* settle(() => b.probe.budget.total === b.probe.budget.queued)
      const got = yield* b.network.messages.pipe(Stream.take(3), Stream.runCollect)
      assert.strictEqual(got.length, 3)
      assert.strictEqual(b.probe.budget.total, 0)
    })
  )
})
