import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Stream } from "effect"
import { Endpoint, Parcel, ParcelType } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { TestClock } from "effect/testing"
import { show, startNode, type TestNode, text } from "../support/node.ts"

const hostOf = (i: number) => `10.0.${i >> 8}.${(i & 255) + 1}`

/** `n` nodes on one in-memory network, each on its own host, listening on 8108. */
const startNetwork = (n: number, overrides: Parameters<typeof startNode>[0] = {}) =>
  Effect.gen(function* () {
    const network = yield* MemoryTransport.makeNetwork()
    return yield* Effect.forEach(
      Array.from({ length: n }, (_, i) => i),
      (i) =>
        startNode(
          { bindIp: hostOf(i), listenPort: "8108", ...overrides },
          MemoryTransport.layerHost(network, hostOf(i))
        )
    )
  })

describe("in-memory network under TestClock", () => {
  it.effect("50 nodes connect and a full broadcast reaches every neighbour exactly once", () =>
    Effect.gen(function* () {
      // targetPeers 1: CAT replenish adds no connections of its own to the graph this test
      // builds (below target, it would dial the endpoints peers share, as soon as fibers run)
      const nodes = yield* startNetwork(50, {
        maxPeers: 20,
        maxIncoming: 20,
        targetPeers: 1,
        dropTo: 1,
        minReseed: 0
      })
      const neighbours = new Map<number, Set<number>>(nodes.map((_, i) => [i, new Set<number>()]))
      for (let i = 0; i < nodes.length; i++) {
        for (const step of [1, 7, 13]) {
          const j = (i + step) % nodes.length
          if (neighbours.get(i)!.has(j)) continue
          yield* nodes[i]!.network.dial(Endpoint.unsafeMake(hostOf(j), "8108"))
          neighbours.get(i)!.add(j)
          neighbours.get(j)!.add(i)
        }
      }
      for (let i = 0; i < nodes.length; i++) {
        assert.strictEqual(yield* nodes[i]!.network.total, neighbours.get(i)!.size, `node ${i}`)
      }
      // every neighbour of node 0 listens, then node 0 broadcasts to all of them
      const targets = [...neighbours.get(0)!]
      const listening = yield* Effect.forEach(targets, (j) =>
        Effect.forkChild(Stream.runCollect(Stream.take(nodes[j]!.network.messages, 1)))
      )
      const sentTo = yield* nodes[0]!.network.send(Parcel.make(Parcel.FullBroadcast, text("to everyone")))
      assert.strictEqual(sentTo, targets.length)
      for (const [k, fiber] of listening.entries()) {
        const [got] = yield* Fiber.join(fiber)
        assert.strictEqual(show(got!), "to everyone")
        assert.strictEqual(got!.address.split(" ")[0], `${hostOf(0)}:8108`, `neighbour ${targets[k]}`)
      }
      // exactly once: no node has another application parcel waiting
      for (let j = 1; j < nodes.length; j++) {
        assert.strictEqual(nodes[j]!.probe.queued(), 0, `node ${j}`)
      }
    })
  )

  it.effect("a silent connection is pinged after PingInterval and the ping is answered", () =>
    Effect.gen(function* () {
      // targetPeers 1: once connected, CAT replenish sends nothing of its own
      const [a, b] = (yield* startNetwork(2, { targetPeers: 1, minReseed: 0 })) as [TestNode, TestNode]
      const peer = yield* a.network.dial(Endpoint.unsafeMake(hostOf(1), "8108"))
      const before = yield* peer.metrics
      assert.strictEqual(before.messagesSent, 0)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual((yield* peer.metrics).messagesSent, 0, "no ping before the interval")
      yield* TestClock.adjust("7 seconds")
      // a pinged b (and b pinged a): both sides sent a Ping and answered the other's with a Pong
      const m = yield* peer.metrics
      assert.isAtLeast(m.messagesSent, 1)
      assert.isAtLeast(m.messagesReceived, 1)
      const [atB] = yield* b.network.peers
      assert.isAtLeast((yield* atB!.metrics).messagesReceived, 1)
      assert.isAtLeast((yield* atB!.metrics).messagesSent, 1)
      void ParcelType
    })
  )

  it.effect("a full node's rejection reaches the dialer even though it closes before reading the hello", () =>
    Effect.gen(function* () {
      const cfg = { maxPeers: 1, maxIncoming: 1, targetPeers: 1, dropTo: 1, minReseed: 0 }
      const [b, c, a] = (yield* startNetwork(3, cfg)) as [TestNode, TestNode, TestNode]
      yield* c.network.dial(b.endpoint)
      const error = yield* Effect.flip(a.network.dial(Endpoint.unsafeMake(hostOf(0), "8108")))
      assert.strictEqual(error._tag, "HandshakeError")
      if (error._tag !== "HandshakeError" || error.reason._tag !== "Rejected")
        return assert.fail(`got ${error.message}`)
      assert.deepStrictEqual(error.reason.alternatives.map(Endpoint.format), [`${hostOf(1)}:8108`])
    })
  )

  it.effect("handshake deadlines: a silent listener fails the dial with Timeout, a silent dialer is closed", () =>
    Effect.gen(function* () {
      const network = yield* MemoryTransport.makeNetwork()
      const node = yield* startNode(
        { bindIp: hostOf(0), listenPort: "8108", handshakeTimeout: Duration.seconds(5) },
        MemoryTransport.layerHost(network, hostOf(0))
      )
      const raw = MemoryTransport.make(network, "10.9.9.9")
      // accepts, never answers the hello; notes when the node closes the connection
      const dialerGone = yield* Deferred.make<void>()
      yield* raw.listen({ host: "10.9.9.9", port: 8108 }, (connection) =>
        Effect.flip(Effect.forever(connection.read)).pipe(Effect.andThen(Deferred.succeed(dialerGone, undefined)))
      )
      const dialing = yield* Effect.forkChild(Effect.flip(node.network.dial(Endpoint.unsafeMake("10.9.9.9", "8108"))))
      // connects, never says hello
      const silent = yield* raw.connect({ host: hostOf(0), port: 8108 }, { timeout: "1 second" })
      const reading = yield* Effect.forkChild(Effect.flip(silent.read))
      yield* TestClock.adjust("4 seconds")
      assert.isUndefined(dialing.pollUnsafe(), "still within the deadline")
      assert.isUndefined(reading.pollUnsafe(), "still within the deadline")
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(dialing)
      assert.strictEqual(error._tag === "HandshakeError" ? error.reason._tag : error._tag, "Timeout")
      assert.strictEqual((yield* Fiber.join(reading)).reason, "Closed")
      yield* Deferred.await(dialerGone)
    })
  )
  it.effect("nodes with the same node id connect (Go detects loopback only by the nonce)", () =>
    Effect.gen(function* () {
      // both at Go's default name, so both have the id derived from "FNode0"
      const [a, b] = (yield* startNetwork(2, { nodeName: "FNode0", nodeId: 0, targetPeers: 1, minReseed: 0 })) as [
        TestNode,
        TestNode
      ]
      const peer = yield* a.network.dial(Endpoint.unsafeMake(hostOf(1), "8108"))
      const [atB] = yield* b.network.peers
      // the same id on both sides, told apart by address
      assert.strictEqual(peer.hash.split(" ")[1], atB!.hash.split(" ")[1])
      assert.strictEqual(peer.hash.split(" ")[0], `${hostOf(1)}:8108`)
      assert.strictEqual(atB!.hash.split(" ")[0], `${hostOf(0)}:8108`)
      // and a node that dials itself is still refused, by the nonce
      const self = yield* Effect.flip(a.network.dial(Endpoint.unsafeMake(hostOf(0), "8108")))
      assert.strictEqual(self._tag === "HandshakeError" ? self.reason._tag : self._tag, "Loopback")
    })
  )
})
