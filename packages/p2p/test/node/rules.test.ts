/**
 * A node's rules as the application and its peers see them (routing,
 * special peers, refusals, bans, ListenLimit, the per-IP limit, disconnect),
 * on the memory transport under TestClock: every node on a host of its own
 * (or a port of its own where a rule is about one IP), time moved only by
 * the test. The same nodes over real TCP, one per protocol pair, are in
 * node.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Stream } from "effect"
import { TestClock } from "effect/testing"
import { type Config, Endpoint, NetworkId, Parcel } from "@catp2p/p2p"
import { MemoryTransport, Probe } from "@catp2p/p2p/testing"
import { hostOf, memoryNode, settle } from "../support/memory.ts"
import { dialFailure, reasonOf, show, text } from "../support/node.ts"

const versions = [9, 10, 11] as const


type Node = Effect.Success<ReturnType<typeof memoryNode>>
/** The next `n` application parcels of a node. */
const take = (node: Node, n: number) => Stream.runCollect(Stream.take(node.network.messages, n))

/** A fresh memory network and a node starter on it: node `i` at `hostOf(i)`. */
const network = Effect.map(MemoryTransport.makeNetwork(), (memory) => ({
  memory,
  node: (i: number, overrides: Partial<Config.Config> = {}) => memoryNode(memory, hostOf(i), overrides)
}))

describe("node rules (memory transport, TestClock)", () => {
  it.effect("routes FullBroadcast, Broadcast and RandomPeer; an unknown peer hash reaches nobody", () =>
    Effect.gen(function* () {
      const { node } = yield* network
      const hub = yield* node(1, { fanout: 2 })
      const leaves = yield* Effect.forEach([9, 10, 11, 10] as const, (v, i) => node(2 + i, { protocolVersion: v }))
      for (const leaf of leaves) yield* leaf.network.dial(hub.endpoint)
      yield* settle()
      assert.strictEqual(yield* hub.network.total, 4)

      // what each leaf's application receives
      const received = leaves.map(() => [] as Array<string>)
      for (const [i, leaf] of leaves.entries()) {
        yield* Effect.forkScoped(
          Stream.runForEach(leaf.network.messages, (p) =>
            Effect.sync(() => {
              received[i]!.push(show(p))
            })
          )
        )
      }
      assert.strictEqual(yield* hub.network.send(Parcel.make(Parcel.FullBroadcast, text("full"))), 4)
      // Broadcast reaches exactly `fanout` of 4 regular peers, RandomPeer (or no address) one
      assert.strictEqual(yield* hub.network.send(Parcel.make(Parcel.Broadcast, text("some"))), 2)
      assert.strictEqual(yield* hub.network.send(Parcel.make(Parcel.RandomPeer, text("one"))), 1)
      assert.strictEqual(yield* hub.network.send(Parcel.make("", text("one"))), 1)
      assert.strictEqual(yield* hub.network.send(Parcel.make("10.9.9.9:1 00000000", text("nobody"))), 0)
      yield* settle()
      for (const got of received) assert.strictEqual(got[0], "full")
      const all = received.flat().sort()
      assert.deepStrictEqual(all, ["full", "full", "full", "full", "one", "one", "some", "some"])
    })
  )

  it.effect("special peers get every Broadcast on top of the fanout", () =>
    Effect.gen(function* () {
      const { node } = yield* network
      const hub = yield* node(1, { fanout: 1 })
      const leaves = yield* Effect.forEach([2, 3, 4], (i) => node(i))
      for (const leaf of leaves) yield* leaf.network.dial(hub.endpoint)
      yield* settle()
      assert.strictEqual(yield* hub.network.total, 3)
      const specialLeaf = leaves[0]!
      yield* hub.network.setSpecial(Endpoint.format(specialLeaf.endpoint))
      for (let i = 0; i < 5; i++) {
        assert.strictEqual(yield* hub.network.send(Parcel.make(Parcel.Broadcast, text(`b${i}`))), 2)
      }
      const got = yield* take(specialLeaf, 5)
      assert.deepStrictEqual(got.map(show), ["b0", "b1", "b2", "b3", "b4"])
      const bad = yield* Effect.flip(hub.network.setSpecial("not an endpoint!"))
      assert.strictEqual(bad.field, "special")
    })
  )

  it.effect("refuses a wrong network and a version below the minimum, on both ends of a dial", () =>
    Effect.gen(function* () {
      const { node } = yield* network
      const B = yield* node(1, { protocolVersionMinimum: 10, protocolVersion: 10 })
      const other = yield* node(2, { network: NetworkId.fromName("another network") })
      assert.strictEqual(yield* dialFailure(other.network.dial(B.endpoint)), "Closed")
      const old = yield* node(3, { protocolVersion: 9 })
      assert.strictEqual(yield* dialFailure(old.network.dial(B.endpoint)), "Closed")
      yield* settle()
      assert.strictEqual(yield* B.network.total, 0)
      // and the dialer checks the reply the same way
      const strict = yield* node(4, { protocolVersionMinimum: 10, protocolVersion: 10 })
      assert.strictEqual(yield* dialFailure(strict.network.dial(old.endpoint)), "VersionTooLow")
    })
  )

  it.effect("a full node rejects with alternatives, which the dialer gets as a typed error", () =>
    Effect.gen(function* () {
      const { node } = yield* network
      const B = yield* node(1, { maxPeers: 2, maxIncoming: 2, targetPeers: 2, dropTo: 2, minReseed: 1 })
      const C1 = yield* node(2)
      const C2 = yield* node(3)
      const p1 = yield* C1.network.dial(B.endpoint)
      const p2 = yield* C2.network.dial(B.endpoint)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 2)
      // useful peers (they sent an application parcel): a full node keeps them (idle ones it would evict)
      yield* C1.network.send(Parcel.make(p1.hash, text("useful 1")))
      yield* C2.network.send(Parcel.make(p2.hash, text("useful 2")))
      yield* take(B, 2)
      for (const v of versions) {
        const A = yield* node(10 + v, { protocolVersion: v })
        const error = yield* Effect.flip(A.network.dial(B.endpoint))
        if (error._tag !== "HandshakeError" || error.reason._tag !== "Rejected")
          return assert.fail(`not rejected: ${reasonOf(error)}`)
        const offered = error.reason.alternatives.map(Endpoint.format).sort()
        assert.deepStrictEqual(offered, [Endpoint.format(C1.endpoint), Endpoint.format(C2.endpoint)].sort())
      }
    })
  )

  it.effect("a ban disconnects the peer and refuses it, with a rejection, until it expires", () =>
    Effect.gen(function* () {
      const { node } = yield* network
      const A = yield* node(1)
      const B = yield* node(2, { manualBan: Duration.minutes(10) })
      yield* A.network.dial(B.endpoint)
      yield* settle()
      const [atB] = yield* B.network.peers
      yield* B.network.ban(atB!.hash)
      yield* settle()
      assert.strictEqual(yield* A.network.total, 0)
      // as Go does: a rejection (with alternatives, none here), not a silent close
      assert.strictEqual(yield* dialFailure(A.network.dial(B.endpoint)), "Rejected")
      assert.strictEqual(yield* B.network.total, 0)
      yield* TestClock.adjust("9 minutes")
      assert.strictEqual(yield* dialFailure(A.network.dial(B.endpoint)), "Rejected")
      yield* TestClock.adjust("61 seconds")
      yield* A.network.dial(B.endpoint)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 1)
    })
  )

  it.effect("ListenLimit: one IP gets a burst of connections, then one per listenLimit", () =>
    Effect.gen(function* () {
      const { node } = yield* network
      const B = yield* node(1, { listenLimit: Duration.seconds(5) })
      // every dialer from one IP, each listening on a port of its own
      const dialers = yield* Effect.forEach(
        Array.from({ length: Probe.limits.listenBurst + 2 }, (_, i) => i),
        (i) => node(2, { listenPort: String(9000 + i) })
      )
      for (const d of dialers.slice(0, Probe.limits.listenBurst)) yield* d.network.dial(B.endpoint)
      assert.strictEqual(yield* dialFailure(dialers[Probe.limits.listenBurst]!.network.dial(B.endpoint)), "Closed")
      yield* TestClock.adjust("5 seconds")
      yield* dialers[Probe.limits.listenBurst + 1]!.network.dial(B.endpoint)
      yield* settle()
      assert.strictEqual(yield* B.network.total, Probe.limits.listenBurst + 1)
    })
  )

  it.effect("the per-IP limit refuses a second peer from the same IP with alternatives; special IPs are exempt", () =>
    Effect.gen(function* () {
      const { node } = yield* network
      const B = yield* node(1, { peerIpLimitIncoming: 1 })
      const A = yield* node(2)
      const C = yield* node(2, { listenPort: "8109" })
      yield* A.network.dial(B.endpoint)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 1)
      assert.strictEqual(yield* dialFailure(C.network.dial(B.endpoint)), "Rejected")
      yield* B.network.setSpecial(hostOf(2))
      yield* C.network.dial(B.endpoint)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 2)
    })
  )

  it.effect("disconnect, and a peer that connects again is a new peer", () =>
    Effect.gen(function* () {
      const { node } = yield* network
      const A = yield* node(1)
      const B = yield* node(2)
      const first = yield* A.network.dial(B.endpoint)
      yield* A.network.disconnect(first.hash)
      yield* settle()
      assert.strictEqual((yield* A.network.total) + (yield* B.network.total), 0)
      const second = yield* A.network.dial(B.endpoint)
      assert.notStrictEqual(first, second)
      assert.strictEqual(first.hash, second.hash)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 1)
    })
  )
})
