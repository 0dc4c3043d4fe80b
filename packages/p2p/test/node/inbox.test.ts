/**
 * The application queue (`Inbox`) as applications see it: `Network.messages`
 * has one reader at a time, and `Network.info`'s `dropped` is the node's
 * total since it started. On the memory transport under `TestClock`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Metric, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Endpoint, Gossip, Metrics, Network, P2PLayer, Parcel } from "@catp2p/p2p"
import { MemoryTransport, Probe } from "@catp2p/p2p/testing"
import { show, testConfig, text } from "../support/node.ts"

/** A node on `memory` at `host`, with its metrics sampled once a second. */
const startAt = (memory: MemoryTransport.MemoryNetwork, host: string, channelCapacity = 64) =>
  Effect.gen(function* () {
    const layer = P2PLayer.layerWith(
      testConfig({ bindIp: host, listenPort: "8108", targetPeers: 1, minReseed: 0, channelCapacity }),
      MemoryTransport.layerHost(memory, host),
      { metrics: { interval: "1 second" } }
    )
    const context = yield* Layer.build(layer)
    return {
      network: Context.get(context, Network.Network),
      metrics: Context.get(context, Metrics.Metrics),
      probe: yield* Effect.provideContext(Probe.make, context),
      context,
      endpoint: Endpoint.unsafeMake(host, "8108")
    }
  })

describe("the application queue", () => {
  it.effect("Network.messages has one reader at a time: a second fails with MessagesTaken, the next reads on", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const a = yield* startAt(memory, "10.7.0.1")
      const b = yield* startAt(memory, "10.7.0.2")
      const peer = yield* a.network.dial(b.endpoint)

      const first = yield* Effect.forkChild(b.network.messages.pipe(Stream.take(2), Stream.runCollect))
      yield* TestClock.adjust("10 millis")
      // a second reader while the first reads: a typed error, not a share of the parcels
      const second = yield* Effect.flip(b.network.messages.pipe(Stream.take(1), Stream.runCollect))
      assert.strictEqual(second._tag, "MessagesTaken")
      const subscribed = yield* Effect.flip(Effect.scoped(b.network.subscribe))
      assert.strictEqual(subscribed._tag, "MessagesTaken")
      // Gossip subscribes when built: refused too
      const gossip = yield* Effect.flip(
        Layer.build(Layer.provide(Gossip.Gossip.layer, Layer.succeedContext(b.context)))
      )
      assert.strictEqual(gossip._tag, "MessagesTaken")

      for (const m of ["one", "two"]) yield* a.network.send(Parcel.make(peer.hash, text(m)))
      yield* TestClock.adjust("10 millis")
      // the first reader saw every parcel it asked for
      assert.deepStrictEqual((yield* Fiber.join(first)).map(show), ["one", "two"])
      // it ended: the next reader takes over
      const next = yield* Effect.forkChild(b.network.messages.pipe(Stream.take(1), Stream.runCollect))
      yield* TestClock.adjust("10 millis")
      yield* a.network.send(Parcel.make(peer.hash, text("three")))
      yield* TestClock.adjust("10 millis")
      assert.deepStrictEqual((yield* Fiber.join(next)).map(show), ["three"])
    })
  )

  it.effect(
    "dropped is the node's total: it does not go down when a peer with drops leaves; info and metrics agree",
    () =>
      Effect.gen(function* () {
        const memory = yield* MemoryTransport.makeNetwork()
        // capacity 4: a's send queue to b and b's application queue are small
        const a = yield* startAt(memory, "10.7.1.1", 4)
        const b = yield* startAt(memory, "10.7.1.2", 4)
        const peer = yield* a.network.dial(b.endpoint)
        // b's application reads nothing: its queue fills, b's reader of a waits, then b is
        // stalled and loses the older half of its queue
        const pacing = yield* Effect.forkChild(
          Effect.forEach(
            Array.from({ length: 12 }, (_, i) => i),
            (i) => a.network.sendBlocking(Parcel.make(peer.hash, text(`paced ${i}`)))
          )
        )
        yield* TestClock.adjust("3 seconds")
        yield* Fiber.join(pacing)
        assert.isAbove(b.probe.stats().droppedFromNetwork, 0, "b's application queue dropped")
        // 40 parcels at once into a's send queue of 4: most are dropped there
        for (let i = 0; i < 40; i++) yield* a.network.send(Parcel.make(peer.hash, text(`m${i}`)))
        const before = (yield* a.network.info).dropped
        assert.isAbove(before, 0, "a's send queue dropped")
        assert.strictEqual(before, a.probe.stats().droppedPeerSend)

        // the peer leaves: its drops stay in the node's total
        yield* a.network.disconnect(peer.hash)
        yield* TestClock.adjust("10 millis")
        assert.strictEqual(yield* a.network.total, 0)
        assert.isAtLeast((yield* a.network.info).dropped, before, "dropped did not go down")
        yield* TestClock.adjust("3 seconds")
        const s = b.probe.stats()
        assert.strictEqual((yield* b.network.info).dropped, s.droppedPeerSend + s.droppedFromNetwork)

        // Metrics shows the same numbers (sampled from the same snapshot)
        for (const node of [a, b]) {
          yield* node.metrics.sample
          const info = yield* node.network.info
          const snapshot = node.probe.stats()
          const value = (name: string) =>
            Effect.map(Metric.snapshot, (all) => {
              const m = all.find((x) => x.id === name && x.attributes?.node === node.metrics.node)
              return (m?.state as Metric.GaugeState<number> | undefined)?.value
            })
          const peerSend = yield* value(Metrics.names.droppedPeerSend)
          const fromNetwork = yield* value(Metrics.names.droppedFromNetwork)
          assert.strictEqual(peerSend, snapshot.droppedPeerSend)
          assert.strictEqual(fromNetwork, snapshot.droppedFromNetwork)
          assert.strictEqual((peerSend ?? 0) + (fromNetwork ?? 0), info.dropped)
        }
      })
  )
})
